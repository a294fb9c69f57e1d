extension WXBizMsgCrypt {
    /// Message decryption from the raw request body (POST, spec §6): parses the envelope with the
    /// hardened reader, then verifies and decrypts its `Encrypt`
    /// (``decryptMessage(msgSignature:timestamp:nonce:encrypt:)``).
    ///
    /// - Parameters:
    ///   - msgSignature: the `msg_signature` query value, percent-decoded.
    ///   - timestamp: the `timestamp` query value, as received.
    ///   - nonce: the `nonce` query value, as received.
    ///   - envelope: the HTTP body bytes (`<xml><ToUserName/><AgentID/><Encrypt/></xml>`).
    /// - Returns: the plaintext `msg` bytes (UTF-8 XML, not yet parsed).
    /// - Throws: ``WXBizMsgCryptError/envelopeParseFailed(_:)`` (-40002) when the body is not a
    ///   DTD-free XML document with a non-empty `Encrypt`; otherwise the errors of the decryption.
    public func decryptMessage(msgSignature: String, timestamp: String, nonce: String, envelope: [UInt8])
        throws(WXBizMsgCryptError) -> [UInt8]
    {
        let parsed: Envelope
        do {
            parsed = try Envelope(parsing: envelope)
        } catch {
            throw .envelopeParseFailed(error.description)
        }
        return try decryptMessage(msgSignature: msgSignature, timestamp: timestamp, nonce: nonce, encrypt: parsed.encrypt)
    }
}
