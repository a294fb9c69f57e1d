extension CallbackHandler {
    /// Envelope stage 6: encrypts and signs the passive reply (spec §10; an AI bot's as the JSON envelope
    /// of `wecom-aibot.md` §1), with the request's `timestamp`
    /// (when it is plain Unix seconds; else the clock's) and `nonce`.
    /// - Parameter xml: the reply plaintext XML bytes.
    /// - Returns: 200 with the `text/xml` envelope; 200 empty (and `log.failure` set) if encryption fails.
    func encrypt(_ xml: [UInt8], query: SignedQuery, app: CallbackApp, log: inout RequestLog) -> CallbackResponse {
        let timestamp = query.timestamp
        let replyTimestamp = timestamp.utf8.allSatisfy { (48...57).contains($0) } && timestamp.utf8.count <= 12
            ? timestamp : String(Int(now().timeIntervalSince1970))
        do {
            if app.kind == .bot {
                let envelope = try BotEnvelope.reply(xml, crypt: app.crypt, timestamp: replyTimestamp, nonce: query.nonce)
                return CallbackResponse(status: 200, contentType: "application/json; charset=utf-8", body: envelope)
            }
            let envelope = try app.crypt.encryptReplyBytes(xml, timestamp: replyTimestamp, nonce: query.nonce)
            return CallbackResponse(status: 200, contentType: "text/xml; charset=utf-8", body: envelope)
        } catch {
            log.failure = "reply encryption failed: \(error.description)"
            return CallbackResponse(status: 200, body: [])
        }
    }
}
