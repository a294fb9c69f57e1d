import WeComCallback

/// A complete, deterministic set of curl fixtures for one AI bot (wecom-aibot.md §1–§4 and issue 12's
/// status policy): URL verification with receiveid "", one callback per message type and event
/// (``BotMessageBuilder/catalogue()``), a refresh of an unknown stream, an unknown msgtype, and the error
/// cases. For POSTs, ``CurlFixture/expect`` is the reply form a server must give (`none` for an empty
/// body) where the protocol fixes it, and `nil` where it depends on the server's routes.
///
/// Randomness comes from one ``SplitMix64`` seeded from `seed` (a stream of its own, so the app fixtures
/// of the same seed do not change); timestamps are fixed (``CurlFixtureSet/baseTimestamp`` + index).
public enum BotCurlFixtureSet {
    /// Mixed into the seed so that bot and app fixtures draw from different streams.
    static let seedSalt: UInt64 = 0xB07_B07_B07

    /// Builds every fixture.
    /// - Parameters:
    ///   - token: the bot's Token.
    ///   - encodingAESKey: the bot's EncodingAESKey.
    ///   - seed: the PRNG seed.
    /// - Returns: the fixtures in a fixed order (verification, messages, events, refresh, errors).
    /// - Throws: ``SimulationError/invalidCredentials(_:)`` or ``SimulationError/crypto(_:)``.
    public static func generate(token: String, encodingAESKey: String, seed: UInt64) throws(SimulationError) -> [CurlFixture] {
        var generator = Generator(token: token, key: encodingAESKey, rng: SplitMix64(seed: seed ^ seedSalt))
        return try generator.all()
    }

    struct Generator {
        let token: String
        let key: String
        var rng: SplitMix64
        var fixtures: [CurlFixture] = []

        var timestamp: String { String(CurlFixtureSet.baseTimestamp + Int64(fixtures.count)) }

        mutating func crypt(receiveID: String = "") throws(SimulationError) -> WXBizMsgCrypt {
            do {
                return try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: receiveID, random: FixedRandom(rng.bytes(16)))
            } catch {
                throw .invalidCredentials(error.description)
            }
        }

        mutating func nonce() -> String { rng.decimalDigits(10) }

        mutating func msgID() -> String {
            // 24 characters of the base64 alphabet, like WeCom's msgid (no Foundation needed for the shape).
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
            return String((0..<24).map { _ in alphabet[Int(rng.next() % 64)] })
        }

        mutating func add(_ name: String, _ summary: String, _ request: SimulatedRequest, _ status: Int, expect: String? = nil) {
            fixtures.append(CurlFixture(name: name, summary: summary, request: request, expectedStatus: status, expect: expect))
        }

        mutating func delivery(_ builder: BotMessageBuilder, receiveID: String = "") throws(SimulationError) -> SimulatedRequest {
            var builder = builder
            builder.msgID = msgID()
            builder.createTime = CurlFixtureSet.baseTimestamp
            let plaintext = try builder.render()
            let crypt = try crypt(receiveID: receiveID)
            return try SimulatedRequest.botDelivery(crypt: crypt, plaintext: plaintext, timestamp: timestamp, nonce: nonce())
        }

        mutating func verification(receiveID: String = "") throws(SimulationError) -> (SimulatedRequest, String) {
            let echostr = rng.decimalDigits(19)
            let crypt = try crypt(receiveID: receiveID)
            return (try SimulatedRequest.urlVerification(crypt: crypt, timestamp: timestamp, nonce: nonce(), echostr: echostr), echostr)
        }

        mutating func all() throws(SimulationError) -> [CurlFixture] {
            let (get, echostr) = try verification()
            add("verify_url", "URL verification with receiveid \"\": 200 and the echostr plaintext exactly", get, 200, expect: echostr)

            for builder in BotMessageBuilder.catalogue() {
                let request = try delivery(builder)
                let expect: String? = builder.inboundKind == .feedbackEvent ? "none" : nil
                let what = builder.msgType == "event" ? "event \(builder.eventType ?? "")" : "\(builder.name) message"
                add(builder.name, "\(what): 200, " + (expect == nil ? "any reply allowed for it, checked" : "empty body"),
                    request, 200, expect: expect)
            }

            var refresh = BotMessageBuilder(msgType: "stream")
            refresh.streamID = "unknown_stream_\(rng.decimalDigits(8))"
            var request = try delivery(refresh)
            add("stream_unknown_id", "refresh of an unknown stream id: 200, a stream with that id", request, 200, expect: "stream")
            request = try delivery(BotMessageBuilder(msgType: "future_type"))
            add("unknown_msgtype", "an unknown msgtype: 200, empty body (kept in the journal)", request, 200, expect: "none")

            try addErrors()
            return fixtures
        }

        mutating func addErrors() throws(SimulationError) {
            let text = BotMessageBuilder(msgType: "text")
            var (get, _) = try verification()
            get.queryString = CurlFixtureSet.Generator.corruptingSignature(get.queryString)
            add("error_bad_signature_get", "URL verification with a wrong msg_signature: 403", get, 403)
            var post = try delivery(text)
            post.queryString = CurlFixtureSet.Generator.corruptingSignature(post.queryString)
            add("error_bad_signature", "callback with a wrong msg_signature: 403", post, 403)

            (get, _) = try verification(receiveID: CurlFixtureSet.foreignCorpID)
            add("error_wrong_receiveid_get", "URL verification encrypted with a corp id as receiveid: 403", get, 403)
            post = try delivery(text, receiveID: CurlFixtureSet.foreignCorpID)
            add("error_wrong_receiveid", "callback encrypted with a corp id as receiveid: 403", post, 403)

            // A correctly signed XML envelope: the body is not JSON.
            let crypt = try crypt()
            let plaintext = try text.render()
            let encrypted: String
            do { encrypted = try crypt.encrypt(plaintext) } catch { throw .crypto(error) }
            post = try SimulatedRequest.signedBotDelivery(token: token, encrypt: encrypted, timestamp: timestamp, nonce: nonce())
            post.body = Array(SimulatedRequest.envelope(toUserName: "", agentID: nil, encrypt: encrypted).utf8)
            add("error_body_not_json", "an XML envelope instead of {\"encrypt\": …}: 400", post, 400)

            let notJSONCrypt = try self.crypt()
            post = try SimulatedRequest.botDelivery(
                crypt: notJSONCrypt, plaintext: Array("<xml><MsgType>text</MsgType></xml>".utf8), timestamp: timestamp, nonce: nonce())
            add("error_plaintext_not_json", "decrypted plaintext that is not JSON: 400", post, 400)

            post = try delivery(text)
            post.body = Array("{}".utf8)
            add("error_no_encrypt", "JSON body without encrypt: 400", post, 400)
            post = try delivery(text)
            post.body = []
            add("error_empty_body", "POST with an empty body: 400", post, 400)
            post = try delivery(text)
            post.queryString = CurlFixtureSet.Generator.removing("nonce", from: post.queryString)
            add("error_missing_nonce", "callback without nonce: 400", post, 400)
            post = try delivery(text)
            post.method = "PUT"
            add("error_bad_method", "PUT: 405", post, 405)
        }
    }
}
