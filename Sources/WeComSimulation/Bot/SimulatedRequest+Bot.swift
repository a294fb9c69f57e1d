import WeComCallback

extension SimulatedRequest {
    /// The crypto of an AI bot: the same WXBizMsgCrypt with receiveid "" (wecom-aibot.md §1).
    /// - Parameters:
    ///   - token: the bot's Token.
    ///   - encodingAESKey: the bot's 43-character EncodingAESKey.
    ///   - random: source of the 16-byte prefixes.
    /// - Throws: ``SimulationError/invalidCredentials(_:)`` naming the unusable field (never its value).
    public static func botCrypt(token: String, encodingAESKey: String, random: any RandomSource = SystemRandom())
        throws(SimulationError) -> WXBizMsgCrypt
    {
        do {
            return try WXBizMsgCrypt(token: token, encodingAESKey: encodingAESKey, receiveID: "", random: random)
        } catch {
            throw .invalidCredentials(error.description)
        }
    }

    /// An AI bot callback POST (wecom-aibot.md §1): encrypts the JSON `plaintext`, signs it and wraps it in
    /// `{"encrypt": "<base64>"}`.
    /// - Parameters:
    ///   - crypt: the bot's crypto (receiveid "", or another for negative cases).
    ///   - plaintext: the decrypted JSON, e.g. from ``BotMessageBuilder/render()``.
    ///   - timestamp: Unix seconds as decimal text.
    ///   - nonce: the nonce to sign.
    /// - Returns: `POST ?msg_signature&timestamp&nonce` with the JSON envelope as body.
    /// - Throws: ``SimulationError/crypto(_:)`` when encryption or hashing fails.
    public static func botDelivery(crypt: WXBizMsgCrypt, plaintext: [UInt8], timestamp: String, nonce: String)
        throws(SimulationError) -> SimulatedRequest
    {
        let encrypted: String
        do {
            encrypted = try crypt.encrypt(plaintext)
        } catch {
            throw .crypto(error)
        }
        return try signedBotDelivery(token: crypt.token, encrypt: encrypted, timestamp: timestamp, nonce: nonce)
    }

    /// A bot POST for an already encrypted value (also for deliberately broken ones).
    /// - Parameters: `token` to sign with, `encrypt` the base64 ciphertext, `timestamp` and `nonce` as sent.
    /// - Returns: the signed request with body `{"encrypt": encrypt}`.
    /// - Throws: ``SimulationError/crypto(_:)`` when hashing fails.
    public static func signedBotDelivery(token: String, encrypt: String, timestamp: String, nonce: String)
        throws(SimulationError) -> SimulatedRequest
    {
        let signature: String
        do {
            signature = try Signature.compute(token: token, timestamp: timestamp, nonce: nonce, data: encrypt)
        } catch {
            throw .crypto(error)
        }
        return SimulatedRequest(
            method: "POST",
            queryString: query([("msg_signature", signature), ("timestamp", timestamp), ("nonce", nonce)]),
            body: JSONValue.object(["encrypt": .string(encrypt)]).encoded())
    }
}
