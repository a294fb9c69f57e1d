import Foundation
import Logging
import Platform
import Testing
@testable import WeComCallback

/// Bot helpers: a bot's crypto, signed requests, decrypted replies.
enum Bot {
    static let key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    static let token = "BotToken1"
    static var crypt: WXBizMsgCrypt { try! WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: "") }

    static func message(_ type: String, _ payload: String, msgid: String = "m1", extra: String = "") -> [UInt8] {
        Array(#"{"msgid":"\#(msgid)","aibotid":"bot1","chattype":"single","from":{"userid":"zhangsan"},"response_url":"http://127.0.0.1:9/r","msgtype":"\#(type)"\#(payload.isEmpty ? "" : ",")\#(payload)\#(extra)}"#.utf8)
    }
    static func text(_ content: String, msgid: String = "m1") -> [UInt8] {
        message("text", #""text":{"content":"\#(content)"}"#, msgid: msgid)
    }
    static func event(_ type: String, _ body: String = "{}", msgid: String = "e1") -> [UInt8] {
        message("event", #""event":{"eventtype":"\#(type)","\#(type)":\#(body)}"#, msgid: msgid)
    }
    static func refresh(_ id: String, msgid: String = "r1") -> [UInt8] {
        message("stream", #""stream":{"id":"\#(id)"}"#, msgid: msgid)
    }

    /// A signed POST of `plaintext` encrypted with `receiveID` in the frame.
    static func post(_ plaintext: [UInt8], receiveID: String = "", path: String = "/bot", body: [UInt8]? = nil) -> CallbackRequest {
        let sender = try! WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: receiveID)
        let encrypt = try! sender.encrypt(plaintext)
        let signature = try! Signature.compute(token: token, timestamp: "1700000000", nonce: "n1", data: encrypt)
        return CallbackRequest(method: "POST", path: path, queryString: "msg_signature=\(signature)&timestamp=1700000000&nonce=n1",
                               body: body ?? Array(#"{"encrypt":"\#(encrypt)"}"#.utf8))
    }

    /// The decrypted reply object of a 200 JSON envelope, after checking its signature and receiveid "".
    static func reply(_ response: CallbackResponse) throws -> WeComCallback.JSONValue? {
        guard !response.body.isEmpty else { return nil }
        let envelope = try BotJSON.parseObject(response.body)
        let encrypt = try #require(envelope["encrypt"]?.stringValue)
        #expect(envelope["nonce"] == .string("n1"))
        #expect(envelope["timestamp"] == .int(1_700_000_000))
        let signature = try #require(envelope["msgsignature"]?.stringValue)
        let plaintext = try crypt.decryptMessage(msgSignature: signature, timestamp: "1700000000", nonce: "n1", encrypt: encrypt)
        return .object(try BotJSON.parseObject(plaintext))
    }

    static func config(_ routes: String, extra: String = "") throws(ConfigError) -> Configuration {
        try Configuration.parse("""
            [server]
            max_timestamp_skew_s = 0
            [[bot]]
            name = "assistant"
            path = "/bot"
            token = "\(token)"
            encoding_aes_key = "\(key)"
            \(extra)
            \(routes)
            """, environment: ["PATH": "/usr/bin:/bin"])
    }

    static func handler(_ routes: String, runtime: ServerRuntime = ServerRuntime()) throws -> CallbackHandler {
        try config(routes).makeServer(logger: Logger(label: "t"), runtime: runtime).makeHandler(logger: Logger(label: "t"))
    }
}

/// A monotonic clock tests move by hand.
final class FakeClock: Sendable {
    let base = ContinuousClock.now
    private let offset = Locked(Duration.zero)
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    func advance(_ d: Duration) { offset.withLock { $0 += d } }
}

@Suite struct BotJSONTests {
    @Test func refusesDeepNestingBeforeDecoding() {
        let deep = Array(("{\"a\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}").utf8)
        #expect(throws: BotJSON.ParseError(reason: "nested deeper than 32 levels")) { try BotJSON.parseObject(deep) }
        #expect(BotJSON.depth(of: Array(#"{"a":"[[[[{{{"}"#.utf8)) == 1)
    }

    @Test func refusesOversizeNonJSONAndNonObjects() {
        #expect(throws: BotJSON.ParseError(reason: "larger than 65536 bytes")) { try BotJSON.parseObject([UInt8](repeating: 0x20, count: 65537)) }
        #expect(throws: BotJSON.ParseError(reason: "not JSON")) { try BotJSON.parseObject(Array("<xml/>".utf8)) }
        #expect(throws: BotJSON.ParseError(reason: "not a JSON object")) { try BotJSON.parseObject(Array("[1]".utf8)) }
        #expect(throws: BotJSON.ParseError(reason: "no encrypt member")) { try BotEnvelope.encrypt(from: Array(#"{"x":1}"#.utf8)) }
    }

    @Test func messageFieldsByProtocolName() throws {
        let mixed = try BotMessage(parsing: Bot.message("mixed", #""mixed":{"msg_item":[{"msgtype":"text","text":{"content":"看图"}},{"msgtype":"image","image":{"url":"u"}}]}"#))
        #expect(mixed.contents == ["看图"])
        #expect(mixed.fromUserID == "zhangsan")
        #expect(mixed.fields["mixed/msg_item/0/text/content"] == "看图")
        let card = try BotMessage(parsing: Bot.event("template_card_event", #"{"event_key":"yes","task_id":"t1"}"#))
        #expect(card.eventType == "template_card_event")
        #expect(card.eventKey == "yes")
        #expect(card.summary == "event/template_card_event")
        #expect(throws: BotJSON.ParseError(reason: "no msgtype")) { try BotMessage(parsing: Array(#"{"msgid":"1"}"#.utf8)) }
    }

    @Test func templatesSeeJSONPaths() throws {
        let message = try BotMessage(parsing: Bot.text("hi"))
        #expect(try MessageTemplate("{{from.userid}}: {{text.content}}").render(message.fields) == "zhangsan: hi")
    }
}

@Suite struct BotRoutingTests {
    @Test func conditionsAllMustHold() throws {
        var c = BotRouteConditions()
        c.msgType = "text"
        c.contentRegex = try RoutePattern("^help")
        c.chatType = "single"
        #expect(c.matches(try BotMessage(parsing: Bot.text("help me"))))
        #expect(!c.matches(try BotMessage(parsing: Bot.text("hello"))))
        c.chatID = ["g1"]
        #expect(!c.matches(try BotMessage(parsing: Bot.text("help me"))))
        var e = BotRouteConditions()
        e.event = "template_card_event"
        e.eventKeyRegex = try RoutePattern("^y")
        #expect(e.matches(try BotMessage(parsing: Bot.event("template_card_event", #"{"event_key":"yes"}"#))))
        #expect(!e.matches(try BotMessage(parsing: Bot.event("template_card_event", #"{"event_key":"no"}"#))))
    }
}

@Suite struct StreamStoreTests {
    @Test func streamGrowsFinishesAndExpires() throws {
        let clock = FakeClock()
        let store = InMemoryStreamStore()
        let key = DeliveryKey(rawValue: "b\u{0}m1")
        store.open(WeComCallback.BotStream(id: "s1"), forMessage: key, now: clock.now, lifetime: .seconds(360))
        #expect(store.answer(forMessage: key, now: clock.now) == .stream("s1"))
        #expect(store.append(Array("1".utf8), to: "s1"))
        #expect(store.append(Array("23".utf8), to: "s1"))
        #expect(store.read("s1", now: clock.now)?.shownContent == "123")
        #expect(store.openCount == 1)
        clock.advance(.seconds(100))
        let finished = try #require(store.finish("s1", images: [], card: nil, now: clock.now))
        #expect(finished.finish)
        #expect(!store.append(Array("4".utf8), to: "s1"))  // finished: no more output
        #expect(store.openCount == 0)
        clock.advance(.seconds(261))
        #expect(store.read("s1", now: clock.now) == nil)
        #expect(store.answer(forMessage: key, now: clock.now) == nil)
    }

    @Test func finishAfterTheLifetimeIsRefused() {
        let clock = FakeClock()
        let store = InMemoryStreamStore()
        store.open(WeComCallback.BotStream(id: "s2"), forMessage: DeliveryKey(rawValue: "k"), now: clock.now, lifetime: .seconds(360))
        clock.advance(.seconds(360))
        #expect(store.finish("s2", images: [], card: nil, now: clock.now) == nil)
    }

    @Test func contentIsCutAtACharacterBoundary() {
        var stream = WeComCallback.BotStream(id: "x")
        stream.append(Array(String(repeating: "a", count: 20479).utf8) + Array("好".utf8))
        #expect(stream.shownContent.utf8.count == 20479)
        var partial = WeComCallback.BotStream(id: "y")
        partial.append(Array("ab".utf8) + Array("好".utf8).prefix(2))
        #expect(partial.shownContent == "ab")  // the half-written character waits for its last byte
        partial.append(Array("好".utf8).suffix(1))
        #expect(partial.shownContent == "ab好")
    }

    @Test func finalReplyCarriesImagesOnlyWhenFinished() {
        var stream = WeComCallback.BotStream(id: "z")
        stream.images = [BotImage(base64: "QQ==", md5: "7fc56270e7a70fa81a5935b72eacbe29")]
        #expect(stream.reply.value(at: "stream/msg_item") == nil)
        stream.finish = true
        #expect(stream.reply.value(at: "stream/msg_item/0/image/md5") == .string("7fc56270e7a70fa81a5935b72eacbe29"))
        #expect(Hex.lowercase(LibCrypto.md5(Array("A".utf8)) ?? []) == "7fc56270e7a70fa81a5935b72eacbe29")
    }
}

@Suite struct BotConfigTests {
    @Test func botLoadsBesideAnApp() throws {
        let config = try Bot.config("""
            [[bot.route]]
            event = "enter_chat"
            action = "text"
            text = "你好 {{from.userid}}"
            [[bot.route]]
            msg_type = "text"
            action = "exec"
            command = ["/bin/cat"]
            timeout_ms = 300000
            on_error = "sorry"
            """, extra: "aibot_id = \"bot1\"")
        #expect(config.bots.map(\.name) == ["assistant"])
        #expect(config.bots[0].routes.count == 2)
        #expect(config.bots[0].aibotID == "bot1")
        #expect(!config.bots[0].description.contains(Bot.token))
    }

    @Test func unknownKeysGetSuggestionsAndLines() {
        #expect(throws: ConfigError.self) { try Bot.config("[[bot.route]]\nmsg_typ = \"text\"\naction = \"echo\"") }
        do {
            _ = try Bot.config("[[bot.route]]\nmsg_typ = \"text\"\naction = \"ecoh\"\n")
            Issue.record("unknown key accepted")
        } catch {
            let text = error.problems.map(\.description).joined(separator: "\n")
            #expect(text.contains("bot[0].route[0].msg_typ"))
            #expect(text.contains("did you mean \"msg_type\"?"))
            #expect(text.contains("did you mean \"echo\"?"))
            #expect(error.problems.first { $0.keyPath == "bot[0].route[0].msg_typ" }?.line == 10)
        }
    }

    @Test func pathsAreUniqueAcrossAppsAndBots() {
        do throws(ConfigError) {
            _ = try Configuration.parse("""
                [[app]]
                name = "a"
                path = "/bot"
                corp_id = "wwcorp"
                token = "T1"
                encoding_aes_key = "\(Bot.key)"
                [[bot]]
                name = "b"
                path = "/bot/"
                token = "T2"
                encoding_aes_key = "\(Bot.key)"
                """, environment: [:])
            Issue.record("duplicate path accepted")
        } catch {
            #expect(error.problems.map(\.description).joined().contains("duplicate path \"/bot\" (also app[0].path)"))
        }
    }

    @Test func anAppBesideABotNeedsItsOwnPath() {
        do throws(ConfigError) {
            _ = try Configuration.parse("""
                [[app]]
                name = "a"
                corp_id = "wwcorp"
                token = "T1"
                encoding_aes_key = "\(Bot.key)"
                [[bot]]
                name = "b"
                path = "/bot"
                token = "T2"
                encoding_aes_key = "\(Bot.key)"
                """, environment: [:])
            Issue.record("an app without a path was accepted beside a bot")
        } catch {
            #expect(error.problems.map(\.description).filter { !$0.hasPrefix("warning:") } == [
                "app[0].path: missing: required when the configuration has more than one app or bot (line 1)",
            ])
        }
    }

    @Test func execTimeoutIsBoundedBySixMinutes() {
        #expect(throws: ConfigError.self) {
            try Bot.config("[[bot.route]]\naction = \"exec\"\ncommand = [\"/bin/cat\"]\ntimeout_ms = 345001\n")
        }
    }
}

@Suite struct BotRetryTests {
    @Test func aRetryAfterTheDeliveryStoreForgotTheMsgidStillGetsTheSameStream() throws {
        // Deduplication off in the delivery store (capacity 0): only the stream store remembers the answer.
        let p = BotPipeline(botName: "b", router: BotRouter(routes: [BotRoute(index: 0, action: BotEchoAction())]), logger: Logger(label: "t"),
                            deliveries: InMemoryDeliveryStore(capacity: 0))
        let context = ProcessingContext(appName: "b", corpID: "", arrival: .now, timestamp: "1700000000")
        func streamID() throws -> String? {
            guard case .reply(let bytes) = p.process(Bot.text("hi"), context: context).disposition else { return nil }
            return WeComCallback.JSONValue.object(try BotJSON.parseObject(bytes)).value(at: "stream/id")?.stringValue
        }
        let first = try #require(try streamID())
        #expect(try streamID() == first)
    }
}

@Suite struct BotCallbackTests {
    static let routes = """
        [[bot.route]]
        event = "enter_chat"
        action = "text"
        text = "你好 {{from.userid}}"
        [[bot.route]]
        event = "template_card_event"
        action = "update_card"
        card = { card_type = "text_notice", main_title = { title = "done by {{from.userid}}" } }
        [[bot.route]]
        msg_type = "text"
        action = "echo"
        """

    @Test func verifiesTheURLWithAnEmptyReceiveID() throws {
        let handler = try Bot.handler(Self.routes)
        let echostr = try Bot.crypt.encrypt(Array("12345".utf8))
        let signature = try Signature.compute(token: Bot.token, timestamp: "1700000000", nonce: "n1", data: echostr)
        let query = "msg_signature=\(signature)&timestamp=1700000000&nonce=n1&echostr=\(echostr.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        let response = handler.handle(CallbackRequest(method: "GET", path: "/bot", queryString: query))
        #expect(response.status == 200)
        #expect(response.body == Array("12345".utf8))
    }

    @Test func echoIsOneFinishedStreamAndARetryGetsTheSameID() throws {
        let handler = try Bot.handler(Self.routes)
        let first = try #require(try Bot.reply(handler.handle(Bot.post(Bot.text("你好")))))
        #expect(first["msgtype"] == .string("stream"))
        #expect(first.value(at: "stream/content") == .string("你好"))
        #expect(first.value(at: "stream/finish") == .bool(true))
        let id = try #require(first.value(at: "stream/id")?.stringValue)
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
        #expect(first.value(at: "stream/feedback/id") == .string(id))
        let retry = try #require(try Bot.reply(handler.handle(Bot.post(Bot.text("你好")))))
        #expect(retry.value(at: "stream/id") == .string(id))
        let other = try #require(try Bot.reply(handler.handle(Bot.post(Bot.text("你好", msgid: "m2")))))
        #expect(other.value(at: "stream/id") != .string(id))
    }

    @Test func welcomeCardUpdateFeedbackAndUnknownTypes() throws {
        let handler = try Bot.handler(Self.routes)
        let welcome = try #require(try Bot.reply(handler.handle(Bot.post(Bot.event("enter_chat")))))
        #expect(welcome == .object(["msgtype": .string("text"), "text": .object(["content": .string("你好 zhangsan")])]))
        let update = try #require(try Bot.reply(handler.handle(Bot.post(Bot.event("template_card_event", #"{"event_key":"k"}"#, msgid: "e2")))))
        #expect(update["response_type"] == .string("update_template_card"))
        #expect(update["userids"] == .array([.string("zhangsan")]))
        #expect(update.value(at: "template_card/main_title/title") == .string("done by zhangsan"))
        let feedback = handler.handle(Bot.post(Bot.event("feedback_event", #"{"id":"f1","type":1}"#, msgid: "e3")))
        #expect(feedback.status == 200 && feedback.body.isEmpty)
        let unknown = handler.handle(Bot.post(Bot.message("hologram", #""hologram":{}"#, msgid: "u1")))
        #expect(unknown.status == 200 && unknown.body.isEmpty)
    }

    @Test func refusals() throws {
        let handler = try Bot.handler(Self.routes)
        #expect(handler.handle(Bot.post(Bot.text("x"), receiveID: "wwcorp")).status == 403)
        #expect(handler.handle(Bot.post(Bot.text("x"), body: Array("not json".utf8))).status == 400)
        #expect(handler.handle(Bot.post(Array("not json".utf8))).status == 400)  // decrypted, not JSON
        #expect(handler.handle(Bot.post(Array(#"{"a":"#.utf8 + [UInt8](repeating: UInt8(ascii: "["), count: 64)))).status == 400)
    }

    @Test func unknownStreamRefreshIsFinishedAndEmpty() throws {
        let handler = try Bot.handler(Self.routes)
        let reply = try #require(try Bot.reply(handler.handle(Bot.post(Bot.refresh("nope")))))
        #expect(reply == .object(["msgtype": .string("stream"),
                                  "stream": .object(["id": .string("nope"), "finish": .bool(true), "content": .string("")])]))
    }

    @Test func aMessageForAnotherBotIsRefused() throws {
        let config = try Bot.config(Self.routes, extra: "aibot_id = \"other\"")
        let handler = try config.makeServer(logger: Logger(label: "t")).makeHandler(logger: Logger(label: "t"))
        #expect(handler.handle(Bot.post(Bot.text("x"))).status == 403)
    }
}

/// Records response_url posts.
final class RecordingPoster: ResponseURLPosting {
    let posts = Locked<[(WeComCallback.JSONValue, String)]>([])
    func post(_ body: WeComCallback.JSONValue, to url: String) -> String? {
        posts.withLockAndBroadcast { $0.append((body, url)) }
        return nil
    }
}

@Suite struct BotExecTests {
    static func pipeline(_ command: [String], lifetime: Duration = .seconds(360), poster: RecordingPoster = RecordingPoster(),
                         json: Bool = false) -> BotPipeline {
        let action = BotExecAction(command: command, executable: command[0], timeoutMS: 10000, onError: try? MessageTemplate("failed"),
                                   jsonOutput: json, baseEnvironment: ["PATH": "/usr/bin:/bin"])
        return BotPipeline(botName: "b", router: BotRouter(routes: [BotRoute(index: 0, action: action)]), logger: Logger(label: "t"),
                           responseURL: poster, streamLifetime: lifetime)
    }

    static func context() -> ProcessingContext {
        ProcessingContext(appName: "b", corpID: "", arrival: .now, timestamp: "1700000000")
    }

    /// Reads the stream until it is finished (refreshes never wait; this test does, for the program).
    static func finished(_ p: BotPipeline, _ id: String) -> WeComCallback.BotStream? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let s = p.streams.read(id, now: .now), s.finish { return s }
            usleep(10_000)
        }
        return nil
    }

    @Test func programOutputIsTheStreamAndImagesGoInTheFinalReply() throws {
        let p = Self.pipeline(["/bin/sh", "-c", "cat >/dev/null; printf 'one\\n'; printf 'two'; printf 'A' > \"$WECOM_OUTPUT_DIR/a.png\"; echo \"$WECOM_BOT\" >&2"])
        guard case .reply(let bytes) = p.process(Bot.text("q"), context: Self.context()).disposition else { Issue.record("no reply"); return }
        let first = WeComCallback.JSONValue.object(try BotJSON.parseObject(bytes))
        let id = try #require(first.value(at: "stream/id")?.stringValue)
        let stream = try #require(Self.finished(p, id))
        #expect(stream.shownContent == "one\ntwo")
        #expect(stream.reply.value(at: "stream/msg_item/0/image/base64") == .string("QQ=="))
    }

    @Test func failureEndsTheStreamWithOnError() throws {
        let p = Self.pipeline(["/bin/sh", "-c", "printf partial; exit 3"])
        guard case .reply(let bytes) = p.process(Bot.text("q"), context: Self.context()).disposition else { Issue.record("no reply"); return }
        let id = try #require(WeComCallback.JSONValue.object(try BotJSON.parseObject(bytes)).value(at: "stream/id")?.stringValue)
        #expect(Self.finished(p, id)?.shownContent == "failed")
    }

    @Test func jsonOutputIsValidated() throws {
        let p = Self.pipeline(["/bin/sh", "-c", #"printf '{"msgtype":"stream","stream":{"content":"**done**"}}'"#], json: true)
        guard case .reply(let bytes) = p.process(Bot.text("q"), context: Self.context()).disposition else { Issue.record("no reply"); return }
        let id = try #require(WeComCallback.JSONValue.object(try BotJSON.parseObject(bytes)).value(at: "stream/id")?.stringValue)
        #expect(Self.finished(p, id)?.shownContent == "**done**")
        if case .failure = BotExecAction.interpret(Array(#"{"msgtype":"news"}"#.utf8)) {} else { Issue.record("news accepted") }
    }

    @Test func aResultAfterTheLifetimeGoesToResponseURLOnce() throws {
        let poster = RecordingPoster()
        let p = Self.pipeline(["/bin/sh", "-c", "printf late"], lifetime: .zero, poster: poster)
        _ = p.process(Bot.text("q"), context: Self.context())
        let posts = poster.posts.wait(until: .now + .seconds(10), while: { $0.isEmpty }) { posts, _ in posts }
        #expect(posts.count == 1)
        #expect(posts.first?.0 == .object(["msgtype": .string("markdown"), "markdown": .object(["content": .string("late")])]))
        #expect(posts.first?.1 == "http://127.0.0.1:9/r")
    }
}
