#ifndef WECOM_COPENSSL_SHIM_H
#define WECOM_COPENSSL_SHIM_H
/* libcrypto only: EVP ciphers and digests, RAND, base64 blocks, constant-time compare. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#endif
