/// The decryption of an AI bot's image and file URLs (spec `wecom-aibot.md` §1): the downloaded
/// bytes are AES-256-CBC with the bot's key (the 32 bytes of its EncodingAESKey), IV = the key's first
/// 16 bytes, PKCS#7 padded to 32-byte blocks. AES is libcrypto's (``LibCrypto``); the padding is the
/// project's ``PKCS7``.
enum BotMediaCipher {
    /// Decrypts a downloaded file.
    /// - Parameters:
    ///   - ciphertext: the bytes as served (a non-empty multiple of 16).
    ///   - key: the bot's 32-byte AES key.
    /// - Returns: the plaintext bytes.
    /// - Throws: ``MediaError/decryptFailed(_:)`` for a length that is no whole number of blocks, a
    ///   libcrypto failure or bad padding.
    static func decrypt(_ ciphertext: [UInt8], key: [UInt8]) throws(MediaError) -> [UInt8] {
        guard key.count == 32 else { throw .decryptFailed("the bot's key is not 32 bytes") }
        guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else {
            throw .decryptFailed("\(ciphertext.count) bytes is not a whole number of AES blocks")
        }
        guard let plain = LibCrypto.aes256CBC(encrypt: false, key: key, iv: Array(key[0..<16]), input: ciphertext) else {
            throw .decryptFailed("AES-256-CBC failed")
        }
        do {
            return Array(try PKCS7.unpad(plain))
        } catch {
            throw .decryptFailed("bad padding")
        }
    }
}
