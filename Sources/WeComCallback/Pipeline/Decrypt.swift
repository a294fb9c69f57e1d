extension CallbackHandler {
    /// What ``decrypt(_:body:app:log:)`` gives.
    enum Decrypted {
        /// The authenticated plaintext (`msg` of spec §8–§9).
        case plaintext([UInt8])
        /// Refused: answer with this status (400 for an envelope that does not parse, else 403).
        case refused(Int)
    }

    /// Envelope stage 3 (GET): verifies the URL-verification signature and decrypts `echostr` (spec §5.2).
    /// - Returns: the echostr plaintext bytes to answer with, or `nil` (answer 403) with `log.failure` set.
    func verifyURL(_ query: SignedQuery, app: CallbackApp, log: inout RequestLog) -> [UInt8]? {
        do {
            return try app.crypt.verifyURL(msgSignature: query.msgSignature, timestamp: query.timestamp,
                                           nonce: query.nonce, echostr: query.echostr)
        } catch {
            log.failure = error.description
            countCryptoFailure(error, app: app.name)
            return nil
        }
    }

    /// Envelope stage 3 (POST): verifies the signature over the `<Encrypt>` element (an AI bot: the
    /// `encrypt` member of the JSON body), decrypts it and checks the receiveid (spec §6, §7; a bot's
    /// receiveid is "", `wecom-aibot.md` §1).
    /// - Returns: the plaintext, or the status to refuse with (and `log.failure` set).
    func decrypt(_ query: SignedQuery, body: [UInt8], app: CallbackApp, log: inout RequestLog) -> Decrypted {
        do throws(WXBizMsgCryptError) {
            switch app.kind {
            case .app:
                return .plaintext(try app.crypt.decryptMessage(msgSignature: query.msgSignature, timestamp: query.timestamp,
                                                               nonce: query.nonce, envelope: body))
            case .bot:
                guard let encrypt = try? BotEnvelope.encrypt(from: body) else {
                    throw WXBizMsgCryptError.envelopeParseFailed("not a JSON object with a string encrypt")
                }
                return .plaintext(try app.crypt.decryptMessage(msgSignature: query.msgSignature, timestamp: query.timestamp,
                                                               nonce: query.nonce, encrypt: encrypt))
            }
        } catch {
            log.failure = error.description
            countCryptoFailure(error, app: app.name)
            if case .envelopeParseFailed = error { return .refused(400) }
            return .refused(403)
        }
    }
}
