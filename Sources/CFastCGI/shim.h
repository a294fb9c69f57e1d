#ifndef WECOM_CFASTCGI_SHIM_H
#define WECOM_CFASTCGI_SHIM_H
/* Only fcgiapp.h: fcgi_stdio.h redefines stdio and must never be included. */
#include <fcgiapp.h>
/* epoll for the accept loop around libfcgi (Glibc's Swift module does not export it). */
#include <sys/epoll.h>
#endif
