#ifndef WECOM_CCURL_SHIM_H
#define WECOM_CCURL_SHIM_H
/* libcurl's easy and mime API: types and constants only. The binary does not link libcurl:
 * HTTP/CurlLibrary.swift (WeComCallback) loads libcurl.so.4 with dlopen on the first transfer and
 * resolves each function with dlsym; HTTP/CurlTransfer.swift is the one user.
 *
 * curl_easy_setopt and curl_easy_getinfo are variadic, which Swift can neither call nor hold as a
 * function type: these typed wrappers take the resolved function (dlsym's `void *`), cast it to the
 * variadic prototype here in C and pass each kind of value through unchanged. */
#include <curl/curl.h>

typedef size_t (*wecom_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*wecom_curl_xferinfo_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                            curl_off_t ultotal, curl_off_t ulnow);
typedef CURLcode (*wecom_curl_setopt_function)(CURL *handle, CURLoption option, ...);
typedef CURLcode (*wecom_curl_getinfo_function)(CURL *handle, CURLINFO info, ...);

/* The flags of curl_global_init (CURL_GLOBAL_DEFAULT is a macro of macros, not imported by Swift). */
static const long wecom_curl_global_default = CURL_GLOBAL_DEFAULT;

static inline CURLcode wecom_curl_setopt_long(void *setopt, CURL *handle, CURLoption option, long value) {
    return ((wecom_curl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_off(void *setopt, CURL *handle, CURLoption option, curl_off_t value) {
    return ((wecom_curl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_string(void *setopt, CURL *handle, CURLoption option, const char *value) {
    return ((wecom_curl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_pointer(void *setopt, CURL *handle, CURLoption option, void *value) {
    return ((wecom_curl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_data_callback(void *setopt, CURL *handle, CURLoption option,
                                                       wecom_curl_data_callback value) {
    return ((wecom_curl_setopt_function)setopt)(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_xferinfo_callback(void *setopt, CURL *handle, wecom_curl_xferinfo_callback value) {
    return ((wecom_curl_setopt_function)setopt)(handle, CURLOPT_XFERINFOFUNCTION, value);
}
static inline CURLcode wecom_curl_getinfo_long(void *getinfo, CURL *handle, CURLINFO info, long *value) {
    return ((wecom_curl_getinfo_function)getinfo)(handle, info, value);
}
static inline CURLcode wecom_curl_getinfo_off(void *getinfo, CURL *handle, CURLINFO info, curl_off_t *value) {
    return ((wecom_curl_getinfo_function)getinfo)(handle, info, value);
}
#endif
