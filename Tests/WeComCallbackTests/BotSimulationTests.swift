import Foundation
import Testing
@testable import WeComCallback
@testable import WeComSimulation

/// The AI bot side of the simulation layer (issue 12, tools): requests and reply checks against vectors
/// made independently with the `cryptography` package (Fixtures/bot_vectors.json, receiveid ""), the
/// message builder, the §4 limits and the stream driver on a fake clock.
@Suite struct BotSimulationTests {
    struct Vectors {
        let json: [String: Any]
        init() throws {
            let data = try Data(contentsOf: Fixture.root.appendingPathComponent("bot_vectors.json"))
            json = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }
        var token: String { json["token"] as? String ?? "" }
        var key: String { json["encoding_aes_key"] as? String ?? "" }
        var requests: [[String: String]] { json["requests"] as? [[String: String]] ?? [] }
        var verification: [String: String] { json["verification"] as? [String: String] ?? [:] }
        var replies: [[String: String]] { json["replies"] as? [[String: String]] ?? [] }
        func crypt(randomHex: String? = nil) throws -> WXBizMsgCrypt {
            let random: any RandomSource = randomHex.map { FixedRandom(Self.bytes(hex: $0)) } ?? SystemRandom()
            return try SimulatedRequest.botCrypt(token: token, encodingAESKey: key, random: random)
        }
        static func bytes(hex: String) -> [UInt8] {
            let chars = Array(hex.utf8)
            return stride(from: 0, to: chars.count - 1, by: 2).compactMap {
                UInt8(String(decoding: chars[$0...($0 + 1)], as: UTF8.self), radix: 16)
            }
        }
    }

    static func query(_ request: SimulatedRequest) -> [String: String] {
        var out: [String: String] = [:]
        for part in request.queryString.split(separator: "&") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if pair.count == 2 { out[pair[0]] = pair[1] }
        }
        return out
    }

    // MARK: - Against the independent vectors

    @Test func botDeliveryEncryptsAndSignsExactlyLikeTheIndependentImplementation() throws {
        let vectors = try Vectors()
        #expect(vectors.requests.count == 3)
        for vector in vectors.requests {
            let crypt = try vectors.crypt(randomHex: vector["random_hex"])
            let request = try SimulatedRequest.botDelivery(
                crypt: crypt, plaintext: Array((vector["plaintext"] ?? "").utf8), timestamp: vector["timestamp"] ?? "",
                nonce: vector["nonce"] ?? "")
            #expect(request.method == "POST")
            #expect(Self.query(request) == [
                "msg_signature": vector["msg_signature"] ?? "-", "timestamp": vector["timestamp"] ?? "-",
                "nonce": vector["nonce"] ?? "-",
            ])
            #expect(try JSONValue.parse(request.body) == .object(["encrypt": .string(vector["encrypt"] ?? "-")]))
        }
    }

    @Test func independentCiphertextDecryptsWithReceiveIDEmpty() throws {
        let vectors = try Vectors()
        let crypt = try vectors.crypt()
        for vector in vectors.requests {
            let frame = try crypt.decrypt(vector["encrypt"] ?? "")
            #expect(frame.receiveID == [])
            #expect(frame.message == Array((vector["plaintext"] ?? "").utf8))
        }
    }

    @Test func urlVerificationMatchesTheIndependentEchostr() throws {
        let vectors = try Vectors()
        let v = vectors.verification
        let request = try SimulatedRequest.urlVerification(
            crypt: try vectors.crypt(randomHex: v["random_hex"]), timestamp: v["timestamp"] ?? "", nonce: v["nonce"] ?? "",
            echostr: v["echostr_plaintext"] ?? "")
        #expect(request.method == "GET" && request.body.isEmpty)
        #expect(Self.query(request) == [
            "msg_signature": v["msg_signature"] ?? "-", "timestamp": v["timestamp"] ?? "-", "nonce": v["nonce"] ?? "-",
            "echostr": v["echostr"] ?? "-",
        ])
    }

    @Test func independentReplyEnvelopesOpenOrFailAsLabelled() throws {
        let vectors = try Vectors()
        let crypt = try vectors.crypt()
        #expect(vectors.replies.count == 5)
        for vector in vectors.replies {
            let body = Array((vector["body"] ?? "").utf8)
            let nonce = vector["request_nonce"] ?? ""
            let outcome = Result { () throws(BotReplyViolation) -> [UInt8] in
                try BotReplyEnvelope(parsing: body).open(with: crypt, requestNonce: nonce)
            }
            switch vector["violation"] {
            case nil:
                let plaintext = try outcome.get()
                #expect(plaintext == Array((vector["plaintext"] ?? "").utf8), "\(vector["name"] ?? "")")
                let reply = try BotReply(plaintext: plaintext)
                let stream = try #require(reply.stream)
                #expect(stream.id == "stream_1" && !stream.finish && stream.content == "第一行" && stream.images.isEmpty)
            case "receiveid"?:
                #expect(throws: BotReplyViolation.receiveIDNotEmpty(vector["receiveid"] ?? "")) { try outcome.get() }
            case "signature"?:
                #expect(throws: BotReplyViolation.signatureMismatch) { try outcome.get() }
            case "nonce"?:
                #expect(throws: BotReplyViolation.nonceMismatch(expected: nonce, got: "3000001")) { try outcome.get() }
            case let other?:
                Issue.record("unknown violation label \(other)")
            }
        }
    }

    // MARK: - BotMessageBuilder

    @Test func defaultTextMessageHasTheSpecFields() throws {
        var builder = BotMessageBuilder(msgType: "text")
        builder.msgID = "m1"
        builder.content = "hi \"<&>\" 你好"
        let json = try JSONValue.parse(try builder.render())
        #expect(json == .object([
            "msgid": .string("m1"), "aibotid": .string(builder.aibotID), "chattype": .string("single"),
            "from": .object(["userid": .string("zhangsan")]), "msgtype": .string("text"),
            "text": .object(["content": .string("hi \"<&>\" 你好")]), "response_url": .string(builder.responseURL ?? ""),
        ]))
        #expect(builder.inboundKind == .message)
    }

    @Test func groupChatsCarryAChatIDAndRefreshesKeepTheConversation() throws {
        var builder = BotMessageBuilder(msgType: "text")
        builder.chatType = "group"
        builder.fromUserID = "lisi"
        #expect(try builder.json()["chatid"] == .string(BotMessageBuilder.defaultChatID))
        builder.chatID = "wrX"
        let refresh = BotMessageBuilder.refresh(of: builder, streamID: "s9", msgID: "m2")
        let json = try refresh.json()
        #expect(json["msgtype"] == .string("stream") && json["stream"] == .object(["id": .string("s9")]))
        #expect(json["chatid"] == .string("wrX") && json["from"]?["userid"] == .string("lisi"))
        #expect(json["msgid"] == .string("m2") && json["response_url"] == nil)
        #expect(refresh.inboundKind == .streamRefresh(id: "s9"))
    }

    @Test func messagesWeComWouldNotSendAreRefused() {
        var image = BotMessageBuilder(msgType: "image")
        image.chatType = "group"
        #expect(throws: SimulationError.invalidBotMessage("image messages come from single chats only (spec §2)")) {
            try image.render()
        }
        var single = BotMessageBuilder(msgType: "text")
        single.chatID = "wrX"
        #expect(throws: SimulationError.self) { try single.render() }
        #expect(throws: SimulationError.self) { try BotMessageBuilder(msgType: "event").render() }
        #expect(throws: SimulationError.self) { try BotMessageBuilder(msgType: "stream").render() }
    }

    @Test func eventsCarryCreateTimeAndTheirPayload() throws {
        var card = BotMessageBuilder(msgType: "event", eventType: "template_card_event")
        card.selectedItems = [.init(questionKey: "q1", optionIDs: ["a", "b"])]
        let cardJSON = try card.json()
        #expect(cardJSON["create_time"] == .int(1_700_000_000) && cardJSON["response_url"] != nil)
        #expect(cardJSON["event"]?["template_card_event"]?["selected_items"]?["selected_item"] == .array([.object([
            "question_key": .string("q1"), "option_ids": .object(["option_id": .array([.string("a"), .string("b")])]),
        ])]))
        let feedback = try BotMessageBuilder(msgType: "event", eventType: "feedback_event").json()
        #expect(feedback["event"]?["feedback_event"] == .object(["id": .string("feedback_wecom_fcgi_1"), "type": .int(1)]))
        #expect(feedback["response_url"] == nil)
        #expect(try BotMessageBuilder(msgType: "event", eventType: "enter_chat").json()["event"]
            == .object(["eventtype": .string("enter_chat")]))
        #expect(BotMessageBuilder.catalogue().map(\.name) == [
            "text", "image", "mixed", "voice", "file", "text_group", "event_enter_chat", "event_template_card_event",
            "event_feedback_event",
        ])
    }

    // MARK: - BotReply limits and rules

    static func reply(_ json: JSONValue) throws(BotReplyViolation) -> BotReply {
        try BotReply(plaintext: json.encoded())
    }

    static func stream(_ id: String = "s", content: String? = "x", finish: Bool, images: Int = 0) -> JSONValue {
        var body: [String: JSONValue] = ["id": .string(id), "finish": .bool(finish)]
        if let content { body["content"] = .string(content) }
        if images > 0 {
            let item = JSONValue.object(["msgtype": .string("image"), "image": .object([
                "base64": .string("iVBORw0K"), "md5": .string("0123456789abcdef0123456789abcdef"),
            ])])
            body["msg_item"] = .array(Array(repeating: item, count: images))
        }
        return .object(["msgtype": .string("stream"), "stream": .object(body)])
    }

    @Test func streamContentLimitIs20480BytesOfUTF8() throws {
        let atLimit = String(repeating: "你", count: 6826) + "xx"  // 20478 + 2 bytes
        #expect(atLimit.utf8.count == 20_480)
        #expect(try Self.reply(Self.stream(content: atLimit, finish: true)).stream?.content == atLimit)
        #expect(throws: BotReplyViolation.contentTooLong(20_481)) {
            try Self.reply(Self.stream(content: atLimit + "x", finish: true))
        }
    }

    @Test func imagesOnlyInTheFinalReplyAndAtMostTen() throws {
        #expect(try Self.reply(Self.stream(finish: true, images: 10)).stream?.images.count == 10)
        #expect(throws: BotReplyViolation.tooManyImages(11)) { try Self.reply(Self.stream(finish: true, images: 11)) }
        #expect(throws: BotReplyViolation.msgItemBeforeFinish) { try Self.reply(Self.stream(finish: false, images: 1)) }
    }

    @Test func invalidUTF8AndNonJSONAreViolations() {
        #expect(throws: BotReplyViolation.notUTF8) {
            try BotReply(plaintext: Array(#"{"msgtype":"stream","stream":{"id":"s","content":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8))
        }
        #expect(throws: BotReplyViolation.notJSON("malformed JSON")) { try BotReply(plaintext: Array("{".utf8)) }
        #expect(throws: BotReplyViolation.notJSON("not an object")) { try BotReply(plaintext: Array("[1]".utf8)) }
        #expect(throws: BotReplyViolation.badField("stream.id")) {
            try Self.reply(.object(["msgtype": .string("stream"), "stream": .object(["finish": .bool(true)])]))
        }
    }

    @Test func replyFormsAllowedPerCallbackKind() throws {
        let text = try Self.reply(.object(["msgtype": .string("text"), "text": .object(["content": .string("hi")])]))
        let stream = try Self.reply(Self.stream("s1", finish: false))
        let update = try Self.reply(.object([
            "response_type": .string("update_template_card"), "userids": .array([.string("u")]),
            "template_card": .object(["card_type": .string("text_notice")]),
        ]))
        try BotReplyRules.check(stream, answering: .message)
        try BotReplyRules.check(nil, answering: .message)
        try BotReplyRules.check(text, answering: .enterChat)
        try BotReplyRules.check(update, answering: .templateCardEvent)
        try BotReplyRules.check(nil, answering: .feedbackEvent)
        try BotReplyRules.check(stream, answering: .streamRefresh(id: "s1"))
        #expect(throws: BotReplyViolation.self) { try BotReplyRules.check(text, answering: .message) }
        #expect(throws: BotReplyViolation.self) { try BotReplyRules.check(stream, answering: .enterChat) }
        #expect(throws: BotReplyViolation.self) { try BotReplyRules.check(stream, answering: .feedbackEvent) }
        #expect(throws: BotReplyViolation.self) { try BotReplyRules.check(text, answering: .templateCardEvent) }
        #expect(throws: BotReplyViolation.emptyRefreshReply) { try BotReplyRules.check(nil, answering: .streamRefresh(id: "s1")) }
        #expect(throws: BotReplyViolation.streamIDChanged(expected: "s2", got: "s1")) {
            try BotReplyRules.check(stream, answering: .streamRefresh(id: "s2"))
        }
    }

    // MARK: - StreamDriver on a fake clock

    @Test func driverRefreshesEveryIntervalUntilFinish() throws {
        let t0 = ContinuousClock.now
        var driver = try StreamDriver(
            first: try Self.reply(Self.stream("s1", content: "a", finish: false)), messageSentAt: t0,
            settings: .init(interval: .milliseconds(500)))
        #expect(try driver.next() == .refresh(streamID: "s1", at: t0 + .milliseconds(500)))
        try driver.receive(try Self.reply(Self.stream("s1", content: "ab", finish: false)), sentAt: t0 + .milliseconds(700))
        #expect(try driver.next() == .refresh(streamID: "s1", at: t0 + .milliseconds(1200)))
        try driver.receive(try Self.reply(Self.stream("s1", content: "abc", finish: true)), sentAt: t0 + .milliseconds(1200))
        #expect(try driver.next() == .finished)
        #expect(driver.refreshes == 2 && driver.latest.content == "abc")
    }

    @Test func driverGivesUpAfterTheWindowOrTheRefreshLimit() throws {
        let t0 = ContinuousClock.now
        let open = try Self.reply(Self.stream("s1", finish: false))
        var driver = try StreamDriver(first: open, messageSentAt: t0)
        try driver.receive(open, sentAt: t0 + .seconds(359))
        #expect(try driver.next() == .refresh(streamID: "s1", at: t0 + .seconds(360)))
        try driver.receive(open, sentAt: t0 + .seconds(360))
        #expect(throws: BotReplyViolation.notFinishedInTime(seconds: 360)) { try driver.next() }

        var limited = try StreamDriver(first: open, messageSentAt: t0, settings: .init(maxRefreshes: 1))
        try limited.receive(open, sentAt: t0 + .seconds(1))
        #expect(try limited.next() == .stoppedAtMaxRefreshes(1))
    }

    @Test func driverRejectsARepeatedCardAndANonStreamStart() throws {
        let t0 = ContinuousClock.now
        let withCard = try Self.reply(.object([
            "msgtype": .string("stream_with_template_card"),
            "stream": .object(["id": .string("s1"), "finish": .bool(false)]),
            "template_card": .object(["card_type": .string("text_notice")]),
        ]))
        var driver = try StreamDriver(first: withCard, messageSentAt: t0)
        #expect(driver.card?["card_type"] == .string("text_notice"))
        #expect(throws: BotReplyViolation.self) { try driver.receive(withCard, sentAt: t0) }
        let text = try Self.reply(.object(["msgtype": .string("text"), "text": .object(["content": .string("hi")])]))
        #expect(throws: BotReplyViolation.self) { try StreamDriver(first: text, messageSentAt: t0) }
    }
}
