#ifndef WECOM_FUZZ_SHIM_H
#define WECOM_FUZZ_SHIM_H
/* The two C things the fuzz targets need: raw AES for building frames, and libFuzzer's driver. */
#include <stddef.h>
#include <stdint.h>

/// AES-256-CBC encryption of `len` bytes (a multiple of 16) with OpenSSL's padding disabled.
/// key: 32 bytes, iv: 16 bytes, out: `len` bytes. Returns 1 on success, 0 otherwise.
int fuzz_aes256cbc_encrypt_raw(const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out);

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM on Linux links every
/// executable with `--defsym main=<module>_main`, so libFuzzer's own `main` is never pulled in; each
/// target's `<module>_main` hands control to this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
