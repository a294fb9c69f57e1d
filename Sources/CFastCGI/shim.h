#ifndef WECOM_CFASTCGI_SHIM_H
#define WECOM_CFASTCGI_SHIM_H
/* Only fcgiapp.h: fcgi_stdio.h redefines stdio and must never be included. */
#include <fcgiapp.h>
/* epoll for the accept loop around libfcgi (Glibc's Swift module does not export it). */
#include <sys/epoll.h>
/* accept4, which Glibc's Swift module hides (a GNU extension): the accept loop takes every connection
   close-on-exec from the start, so no program spawned meanwhile inherits it. Same signature as glibc's. */
#include <sys/socket.h>
extern int accept4(int fd, struct sockaddr *address, socklen_t *address_length, int flags);
#endif
