#ifndef WECOM_CCURL_SHIM_H
#define WECOM_CCURL_SHIM_H
/* libcurl's easy and mime API; Media/CurlTransfer.swift (WeComCallback) is its one user.
 * curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: these typed
 * wrappers pass each kind of value through unchanged. */
#include <curl/curl.h>

typedef size_t (*wecom_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*wecom_curl_xferinfo_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                            curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode wecom_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_data_callback(CURL *handle, CURLoption option, wecom_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode wecom_curl_setopt_xferinfo_callback(CURL *handle, wecom_curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}
static inline CURLcode wecom_curl_setopt_mime(CURL *handle, curl_mime *mime) {
    return curl_easy_setopt(handle, CURLOPT_MIMEPOST, mime);
}
static inline CURLcode wecom_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode wecom_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
#endif
