/// The JSON envelopes of an AI bot callback (spec `wecom-aibot.md` §1): `{"encrypt": "<base64>"}` in,
/// `{"encrypt","msgsignature","timestamp","nonce"}` out.
public enum BotEnvelope {
    /// Reads `encrypt` from a POST body.
    /// - Parameter body: the HTTP body bytes.
    /// - Returns: the base64 `encrypt` value.
    /// - Throws: ``BotJSON/ParseError`` when the body is not a JSON object with a non-empty string `encrypt`.
    public static func encrypt(from body: [UInt8]) throws(BotJSON.ParseError) -> String {
        let object = try BotJSON.parseObject(body)
        guard let encrypt = object["encrypt"]?.stringValue, !encrypt.isEmpty else {
            throw BotJSON.ParseError(reason: "no encrypt member")
        }
        return encrypt
    }

    /// Encrypts and signs a reply plaintext into the reply envelope.
    /// - Parameters:
    ///   - plaintext: the reply JSON (UTF-8).
    ///   - crypt: the bot's crypto (receiveid "").
    ///   - timestamp: Unix seconds as decimal text (the request's); written as a number.
    ///   - nonce: the request's nonce.
    /// - Returns: the envelope JSON bytes.
    /// - Throws: the encryption's ``WXBizMsgCryptError``.
    public static func reply(_ plaintext: [UInt8], crypt: WXBizMsgCrypt, timestamp: String, nonce: String) throws(WXBizMsgCryptError) -> [UInt8] {
        guard let seconds = Int64(timestamp), seconds >= 0 else { throw .buildReplyFailed("timestamp must be decimal digits") }
        let encrypt = try crypt.encrypt(plaintext)
        let signature = try Signature.compute(token: crypt.token, timestamp: timestamp, nonce: nonce, data: encrypt)
        return JSONValue.object([
            "encrypt": .string(encrypt), "msgsignature": .string(signature),
            "timestamp": .int(seconds), "nonce": .string(nonce),
        ]).encoded()
    }
}
