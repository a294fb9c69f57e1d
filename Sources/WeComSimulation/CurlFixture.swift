import WeComCallback

/// One request of a curl fixture set and what a correct responder answers (`fixtures generate`).
public struct CurlFixture: Sendable, Equatable {
    /// File-name stem, e.g. `text`, `event_click`, `error_bad_signature`.
    public var name: String
    /// What the fixture checks, one line.
    public var summary: String
    /// The request to send.
    public var request: SimulatedRequest
    /// The expected HTTP status.
    public var expectedStatus: Int
    /// For URL verification: the exact response body. For echo-able messages: the decrypted reply's
    /// `Content` or `MediaId` (``InboundMessageBuilder/expectedEcho``). `nil` otherwise.
    public var expect: String?

    /// Creates a fixture from its parts.
    public init(name: String, summary: String, request: SimulatedRequest, expectedStatus: Int, expect: String? = nil) {
        self.name = name
        self.summary = summary
        self.request = request
        self.expectedStatus = expectedStatus
        self.expect = expect
    }

    /// The method a runner uses when none is written: `GET` for an empty body, `POST` otherwise.
    public var methodIsImplied: Bool {
        request.method == (request.body.isEmpty ? "GET" : "POST")
    }
}

/// A complete, deterministic set of curl fixtures for one app (spec §5–§6 and the status policy):
/// URL verification, one delivery per message type and event
/// (``InboundMessageBuilder/catalogue(toUserName:createTime:)``), and the error cases.
///
/// All randomness (16-byte prefixes, nonces, echostr, MsgId) comes from one ``SplitMix64`` seeded
/// with `seed`, drawn in fixture order; timestamps are fixed (``baseTimestamp`` + index). The same
/// credentials and seed give the same bytes on every machine.
public enum CurlFixtureSet {
    /// The timestamp of the first fixture; the n-th uses `baseTimestamp + n`.
    public static let baseTimestamp: Int64 = 1_700_000_000

    /// A corp id that is not the app's, for the receiveid-mismatch cases.
    public static let foreignCorpID = "wwdeadbeefdeadbeef"

    /// Content of the text-message fixture: CJK, an emoji and XML specials, all echoed back.
    public static let textContent = "你好 👋 <wecom-fcgi> & fixtures"

    /// Builds every fixture.
    /// - Parameters:
    ///   - credentials: the app's corp id, Token and EncodingAESKey.
    ///   - seed: the PRNG seed.
    /// - Returns: the fixtures in a fixed order (verification, messages, events, errors).
    /// - Throws: ``SimulationError/invalidCredentials(_:)`` for an unusable Token or EncodingAESKey;
    ///   ``SimulationError/crypto(_:)`` if encryption fails.
    public static func generate(credentials: AppCredentials, seed: UInt64) throws(SimulationError) -> [CurlFixture] {
        var generator = Generator(credentials: credentials, rng: SplitMix64(seed: seed))
        return try generator.all()
    }

    struct Generator {
        let credentials: AppCredentials
        var rng: SplitMix64
        var fixtures: [CurlFixture] = []

        var timestamp: String { String(CurlFixtureSet.baseTimestamp + Int64(fixtures.count)) }

        /// A crypt whose next 16-byte prefix comes from the PRNG.
        mutating func crypt(receiveID: String? = nil) throws(SimulationError) -> WXBizMsgCrypt {
            do {
                return try WXBizMsgCrypt(
                    token: credentials.token, encodingAESKey: credentials.encodingAESKey,
                    receiveID: receiveID ?? credentials.corpID, random: FixedRandom(rng.bytes(16)))
            } catch {
                throw .invalidCredentials(error.description)
            }
        }

        mutating func nonce() -> String { rng.decimalDigits(10) }

        /// Appends a fixture. Build the request into a local first: a mutating call in the arguments
        /// would overlap this mutating access to `self`.
        mutating func add(_ name: String, _ summary: String, _ request: SimulatedRequest, _ status: Int, expect: String? = nil) {
            fixtures.append(CurlFixture(name: name, summary: summary, request: request, expectedStatus: status, expect: expect))
        }

        /// A signed text-message delivery, optionally encrypted for another receiveid.
        mutating func textDelivery(receiveID: String? = nil, content: String = "hello") throws(SimulationError) -> SimulatedRequest {
            var builder = InboundMessageBuilder(msgType: "text", toUserName: credentials.corpID, createTime: CurlFixtureSet.baseTimestamp)
            builder.content = content
            builder.msgID = rng.decimalDigits(19)
            let xml = try builder.render()
            let crypt = try crypt(receiveID: receiveID)
            return try SimulatedRequest.delivery(
                crypt: crypt, plaintext: Array(xml.utf8), timestamp: timestamp, nonce: nonce(),
                toUserName: credentials.corpID, agentID: builder.agentID)
        }

        mutating func verification(receiveID: String? = nil) throws(SimulationError) -> (SimulatedRequest, String) {
            let echostr = rng.decimalDigits(19)
            let crypt = try crypt(receiveID: receiveID)
            let request = try SimulatedRequest.urlVerification(crypt: crypt, timestamp: timestamp, nonce: nonce(), echostr: echostr)
            return (request, echostr)
        }

        mutating func all() throws(SimulationError) -> [CurlFixture] {
            let (get, echostr) = try verification()
            add("verify_url", "URL verification: 200 and the echostr plaintext exactly", get, 200, expect: echostr)

            for var builder in InboundMessageBuilder.catalogue(toUserName: credentials.corpID, createTime: CurlFixtureSet.baseTimestamp) {
                if builder.msgType == "text" { builder.content = CurlFixtureSet.textContent }
                builder.msgID = rng.decimalDigits(19)
                let xml = try builder.render()
                let crypt = try crypt()
                let request = try SimulatedRequest.delivery(
                    crypt: crypt, plaintext: Array(xml.utf8), timestamp: timestamp, nonce: nonce(),
                    toUserName: credentials.corpID, agentID: builder.agentID)
                let what = builder.msgType == "event" ? "event \(builder.event ?? "")\(builder.changeType.map { "/\($0)" } ?? "")" : "\(builder.msgType) message"
                let echo = builder.expectedEcho
                add(builder.name, "\(what): 200, " + (echo == nil ? "no reply expected from echo" : "echo reply"), request, 200, expect: echo?.value)
            }

            try addErrors()
            return fixtures
        }

        mutating func addErrors() throws(SimulationError) {
            // Bad signatures: the last hex digit changed.
            var (get, _) = try verification()
            get.queryString = Self.corruptingSignature(get.queryString)
            add("error_bad_signature_get", "URL verification with a wrong msg_signature: 403", get, 403)
            var post = try textDelivery()
            post.queryString = Self.corruptingSignature(post.queryString)
            add("error_bad_signature", "message with a wrong msg_signature: 403", post, 403)

            // Correctly signed, but encrypted for another corp.
            (get, _) = try verification(receiveID: CurlFixtureSet.foreignCorpID)
            add("error_wrong_receiveid_get", "URL verification encrypted for another corp id: 403", get, 403)
            post = try textDelivery(receiveID: CurlFixtureSet.foreignCorpID)
            add("error_wrong_receiveid", "message encrypted for another corp id: 403", post, 403)

            // A well-formed buffer whose padding bytes are 0 (spec §4.4 step 4: pad must be 1…32).
            let crypt = try crypt()
            let message = Array("<xml><ToUserName><![CDATA[\(credentials.corpID)]]></ToUserName></xml>".utf8)
            let length = UInt32(message.count)
            var buffer = rng.bytes(16) + [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
            buffer += message + Array(credentials.corpID.utf8)
            buffer += [UInt8](repeating: 0, count: 32 - buffer.count % 32)
            let broken: String
            do { broken = try crypt.encryptBuffer(buffer) } catch { throw .crypto(error) }
            post = try SimulatedRequest.signedDelivery(
                token: credentials.token, encrypt: broken, timestamp: timestamp, nonce: nonce(),
                toUserName: credentials.corpID, agentID: "1000002")
            add("error_broken_padding", "message whose decrypted padding bytes are 0: 403", post, 403)

            // Over the 64 KiB body limit (nginx's client_max_body_size and --max-body-bytes).
            let big = String(repeating: "0123456789", count: 5_200)
            post = try textDelivery(content: big)
            add("error_oversize", "message body over 64 KiB: 413", post, 413)

            // Query problems.
            post = try textDelivery()
            post.queryString = Self.removing("nonce", from: post.queryString)
            add("error_missing_nonce", "message without nonce: 400", post, 400)
            (get, _) = try verification()
            get.queryString = Self.removing("echostr", from: get.queryString)
            add("error_missing_echostr", "GET without echostr: 400", get, 400)
            post = try textDelivery()
            let nonceParameter = post.queryString.split(separator: "&").first { $0.hasPrefix("nonce=") }.map(String.init) ?? "nonce=1"
            post.queryString += "&" + nonceParameter
            add("error_duplicate_nonce", "message with nonce given twice: 400", post, 400)

            // Body problems.
            post = try textDelivery()
            post.body = []
            add("error_empty_body", "POST with an empty body: 400", post, 400)
            post = try textDelivery()
            post.body = Array("<xml><ToUserName><![CDATA[\(credentials.corpID)]]></ToUserName>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>".utf8)
            add("error_no_encrypt", "POST envelope without Encrypt: 400", post, 400)

            // Method.
            post = try textDelivery()
            post.method = "PUT"
            add("error_bad_method", "PUT: 405 with Allow: GET, POST", post, 405)
        }

        /// The query with `msg_signature`'s last hex digit replaced (0 ↔ 1).
        static func corruptingSignature(_ query: String) -> String {
            query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
                guard part.hasPrefix("msg_signature="), let last = part.last else { return String(part) }
                return String(part.dropLast()) + (last == "0" ? "1" : "0")
            }.joined(separator: "&")
        }

        /// The query without the parameter `name`.
        static func removing(_ name: String, from query: String) -> String {
            query.split(separator: "&").filter { !$0.hasPrefix(name + "=") }.joined(separator: "&")
        }
    }
}
