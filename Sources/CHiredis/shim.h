#ifndef WECOM_CHIREDIS_SHIM_H
#define WECOM_CHIREDIS_SHIM_H
/* hiredis's synchronous API only; RedisConnection (WeComCallback/Stores/Redis) is its one user. */
#include <hiredis/hiredis.h>
#endif
