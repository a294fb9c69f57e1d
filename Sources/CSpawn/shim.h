#ifndef WECOM_CSPAWN_SHIM_H
#define WECOM_CSPAWN_SHIM_H
#include <spawn.h>
/* glibc ≥ 2.34 (Debian 12 has 2.36) declares this only under _GNU_SOURCE / __USE_MISC, which Swift's
 * Glibc module is built without; the symbol is in libc itself. Adds a file action that closes every
 * descriptor >= lowfd in the child before exec. Returns 0 or an errno value (EBADF for a negative lowfd). */
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int lowfd);
#endif
