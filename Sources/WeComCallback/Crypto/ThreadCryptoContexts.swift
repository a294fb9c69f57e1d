#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL

/// Two `EVP_CIPHER_CTX` (one per direction) and one `EVP_MD_CTX` per thread, reused by every AES and
/// digest call that thread makes (thread-specific storage, `pthread_getspecific`).
///
/// Allocating, initialising and freeing a context per call went through OpenSSL 3's provider layer each
/// time, and expanding the AES key (the decryption schedule especially) was most of the rest: about
/// half the instructions of an AES call on a 400-byte message. A context is never shared between
/// threads; each call sets the IV afresh, and the key whenever it differs from the one the context
/// holds (another app's), so nothing of one message reaches the next. The contexts are freed when
/// their thread exits.
final class ThreadCryptoContexts {
    /// The encrypting cipher context: `EVP_CIPHER_CTX *`.
    let encryptor: OpaquePointer
    /// The decrypting cipher context: `EVP_CIPHER_CTX *`.
    let decryptor: OpaquePointer
    /// The key ``encryptor`` is set up with (AES-256-CBC, no padding), `nil` before the first call and
    /// after a failure.
    var encryptorKey: [UInt8]?
    /// The key ``decryptor`` is set up with, as ``encryptorKey``.
    var decryptorKey: [UInt8]?
    /// The digest context: `EVP_MD_CTX *`.
    let digest: OpaquePointer

    private init?() {
        let encryptor = EVP_CIPHER_CTX_new(), decryptor = EVP_CIPHER_CTX_new(), digest = EVP_MD_CTX_new()
        guard let encryptor, let decryptor, let digest else {
            EVP_CIPHER_CTX_free(encryptor)
            EVP_CIPHER_CTX_free(decryptor)
            EVP_MD_CTX_free(digest)
            return nil
        }
        self.encryptor = encryptor
        self.decryptor = decryptor
        self.digest = digest
    }

    deinit {
        EVP_CIPHER_CTX_free(encryptor)
        EVP_CIPHER_CTX_free(decryptor)
        EVP_MD_CTX_free(digest)
    }

    /// The key under which each thread keeps its contexts; its destructor releases them at thread exit.
    private struct Key: @unchecked Sendable {
        let value: pthread_key_t?

        init() {
            var key = pthread_key_t()
            let created = pthread_key_create(&key) { raw in
                if let raw { Unmanaged<ThreadCryptoContexts>.fromOpaque(raw).release() }
            }
            value = created == 0 ? key : nil
        }
    }

    /// Created once per process; the key itself is never modified after creation.
    private static let key = Key()

    /// The calling thread's contexts (made at its first call), or `nil` when thread-specific storage or
    /// libcrypto cannot provide them (callers then use a context of their own for the call).
    static func current() -> ThreadCryptoContexts? {
        guard let key = key.value else { return nil }
        if let raw = pthread_getspecific(key) {
            return Unmanaged<ThreadCryptoContexts>.fromOpaque(raw).takeUnretainedValue()
        }
        guard let made = ThreadCryptoContexts() else { return nil }
        let retained = Unmanaged.passRetained(made)
        guard pthread_setspecific(key, retained.toOpaque()) == 0 else {
            retained.release()
            return nil
        }
        return made
    }
}
