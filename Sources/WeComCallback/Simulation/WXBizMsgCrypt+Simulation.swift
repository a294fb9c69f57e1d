extension WXBizMsgCrypt {
    /// Encrypts a buffer exactly as given, without building the §4.2 layout or padding it: AES-256-CBC
    /// with this app's key and IV, then base64. **Only for negative test input** (broken padding,
    /// wrong length fields) that a correct sender never produces.
    ///
    /// - Parameter buffer: the whole plaintext buffer, a positive multiple of 16 bytes.
    /// - Returns: base64 ciphertext.
    /// - Throws: -40006 when the length is not a positive multiple of 16 or AES fails; -40009 when
    ///   base64 encoding fails.
    public func encryptRawBuffer(_ buffer: [UInt8]) throws(WXBizMsgCryptError) -> String {
        guard !buffer.isEmpty, buffer.count % 16 == 0,
            let ciphertext = LibCrypto.aes256CBC(encrypt: true, key: aesKey, iv: iv, input: buffer)
        else { throw .encryptFailed }
        guard let text = LibCrypto.base64Encode(ciphertext) else { throw .encodeBase64Failed }
        return text
    }
}
