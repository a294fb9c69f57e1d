#include "fuzz_shim.h"
#include <limits.h>
#include <openssl/evp.h>

int fuzz_aes256cbc_encrypt_raw(const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out) {
    if (len % 16 != 0 || len > INT_MAX - 32) return 0;
    if (len == 0) return 1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return 0;
    int ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv) == 1
        && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
    int written = 0, final_written = 0;
    ok = ok && EVP_EncryptUpdate(ctx, out, &written, in, (int)len) == 1;
    ok = ok && EVP_EncryptFinal_ex(ctx, out + written, &final_written) == 1;
    ok = ok && (size_t)(written + final_written) == len;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}
