/* The FastCGI floor for bench/run-compare.sh: the least a libfcgi responder can do per request.
 * N threads accept on one unix socket (like wecom-fcgi --threads N), read the whole body, and answer
 * a fixed text/xml reply of REPLY_BYTES bytes. Usage: fcgi-floor SOCKET_PATH THREADS REPLY_BYTES */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int listen_fd, reply_len;
static char *reply;

static void *worker(void *unused) {
    FCGX_Request r;
    char buf[16384];
    (void)unused;
    FCGX_InitRequest(&r, listen_fd, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        while (FCGX_GetStr(buf, sizeof buf, r.in) > 0) {}
        FCGX_FPrintF(r.out, "Status: 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n", reply_len);
        FCGX_PutStr(reply, reply_len, r.out);
        FCGX_Finish_r(&r);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: fcgi-floor SOCKET_PATH THREADS REPLY_BYTES\n"); return 2; }
    int threads = atoi(argv[2]);
    reply_len = atoi(argv[3]);
    reply = malloc((size_t)reply_len + 1);
    memset(reply, 'x', (size_t)reply_len);
    FCGX_Init();
    if ((listen_fd = FCGX_OpenSocket(argv[1], 1024)) < 0) { perror("FCGX_OpenSocket"); return 1; }
    pthread_t tid[256];
    for (int i = 0; i < threads && i < 256; i++) pthread_create(&tid[i], NULL, worker, NULL);
    for (int i = 0; i < threads && i < 256; i++) pthread_join(tid[i], NULL);
    return 0;
}
