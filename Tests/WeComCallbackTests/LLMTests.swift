import Foundation
import Testing
@testable import WeComCallback

/// The server-sent-event parser fed bytes in every way a transport may cut them.
@Suite struct ServerSentEventParserTests {
    /// Feeds `chunks` in order and returns every event.
    func parse(_ chunks: [String]) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for chunk in chunks { events += parser.feed(Array(chunk.utf8)) }
        events += parser.finish()
        return events
    }

    @Test func dataLinesEndedByAnEmptyLineAreOneEvent() {
        #expect(parse(["data: {\"a\":1}\n\ndata: [DONE]\n\n"]) == [
            ServerSentEvent(data: "{\"a\":1}"), ServerSentEvent(data: "[DONE]"),
        ])
    }

    @Test func aStreamCutAtEveryByteGivesTheSameEvents() {
        let stream = "event: delta\r\ndata: 你好\r\n\r\n: comment\ndata:x\n\ndata: [DONE]\r\n\r\n"
        let whole = parse([stream])
        #expect(whole == [ServerSentEvent(event: "delta", data: "你好"), ServerSentEvent(data: "x"), ServerSentEvent(data: "[DONE]")])
        // One byte per chunk: lines, CRLF pairs and UTF-8 characters all split.
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in Array(stream.utf8) { events += parser.feed([byte]) }
        #expect(events == whole)
        // Every two-way cut.
        let bytes = Array(stream.utf8)
        for cut in 0...bytes.count {
            var parser = ServerSentEventParser()
            let events = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(events == whole, "cut at \(cut)")
        }
    }

    @Test func aCRLFSplitAcrossChunksEndsOneLineNotTwo() {
        // "\r" ends the line; the "\n" in the next chunk must not end an (empty) second one and
        // dispatch early: the event needs the second data line.
        #expect(parse(["data: a\r", "\ndata: b\r\n\r\n"]) == [ServerSentEvent(data: "a\nb")])
    }

    @Test func bareCRAndLFEndLinesToo() {
        #expect(parse(["data: a\rdata: b\r\rdata: c\n\n"]) == [ServerSentEvent(data: "a\nb"), ServerSentEvent(data: "c")])
    }

    @Test func multiLineDataIsJoinedWithLineFeeds() {
        #expect(parse(["data: first\ndata: second\ndata\ndata: third\n\n"]) == [ServerSentEvent(data: "first\nsecond\n\nthird")])
    }

    @Test func commentsIdsRetriesAndUnknownFieldsAreIgnored() {
        #expect(parse([": ping\n\n", "id: 7\nretry: 100\nfoo: bar\ndata: x\n\n"]) == [ServerSentEvent(data: "x")])
        #expect(parse([": only a comment\n\n"]) == [])
    }

    @Test func onlyOneSpaceAfterTheColonIsDropped() {
        #expect(parse(["data:  two spaces\n\ndata:none\n\n"]) == [ServerSentEvent(data: " two spaces"), ServerSentEvent(data: "none")])
    }

    @Test func anEventWithoutItsEmptyLineAtTheEndIsDiscarded() {
        #expect(parse(["data: complete\n\ndata: cut off"]) == [ServerSentEvent(data: "complete")])
    }

    @Test func aLeadingByteOrderMarkIsSkipped() {
        #expect(parse(["\u{FEFF}data: x\n\n"]) == [ServerSentEvent(data: "x")])
    }

    @Test func anOverlongLineIsCutAndFlagged() {
        var parser = ServerSentEventParser()
        let long = "data: " + String(repeating: "a", count: ServerSentEventParser.maxLineBytes + 10) + "\n\n"
        let events = parser.feed(Array(long.utf8))
        #expect(parser.sawOverlongLine)
        #expect(events.map(\.data.utf8.count) == [ServerSentEventParser.maxLineBytes - 6])
    }
}

/// The rules of a streamed chat completion, driven with plain values.
@Suite struct ChatCompletionStreamTests {
    static func chunk(_ content: String? = nil, reasoning: String? = nil, finish: String? = nil) -> String {
        var delta: [String: String] = [:]
        if let content { delta["content"] = content }
        if let reasoning { delta["reasoning_content"] = reasoning }
        let choice: [String: Any] = ["index": 0, "delta": delta, "finish_reason": finish ?? NSNull()]
        let data = try! JSONSerialization.data(withJSONObject: ["choices": [choice]])
        return "data: " + String(decoding: data, as: UTF8.self) + "\n\n"
    }

    func run(status: Int = 200, _ chunks: [String], transportError: String? = nil) -> (deltas: [ChatDelta], result: Result<ChatCompletion, LLMError>) {
        var stream = ChatCompletionStream()
        stream.receive(status: status)
        var deltas: [ChatDelta] = []
        for chunk in chunks { deltas += stream.receive(Array(chunk.utf8)) }
        return (deltas, stream.end(transportError: transportError))
    }

    @Test func contentAndReasoningDeltasUntilDone() {
        let (deltas, result) = run([Self.chunk(reasoning: "hmm"), Self.chunk("Hel"), Self.chunk("lo"),
                                    "data: {\"choices\":[]}\n\n", Self.chunk(finish: "stop"), "data: [DONE]\n\n"])
        #expect(deltas == [ChatDelta(reasoning: "hmm"), ChatDelta(content: "Hel"), ChatDelta(content: "lo")])
        #expect(result == .success(ChatCompletion(content: "Hello", reasoning: "hmm", deltas: 3, finishReason: "stop")))
    }

    @Test func nothingIsReadAfterDone() {
        var stream = ChatCompletionStream()
        stream.receive(status: 200)
        _ = stream.receive(Array((Self.chunk("a") + "data: [DONE]\n\n").utf8))
        #expect(stream.isFinished)
        #expect(stream.receive(Array(Self.chunk("b").utf8)) == [])
        #expect(stream.end() == .success(ChatCompletion(content: "a", deltas: 1)))
    }

    @Test func aFinishReasonWithoutDoneIsComplete() {
        #expect(run([Self.chunk("a"), Self.chunk(finish: "length")]).result
            == .success(ChatCompletion(content: "a", deltas: 1, finishReason: "length")))
    }

    @Test func anEndWithoutDoneOrFinishIsTruncated() {
        #expect(run([Self.chunk("a")]).result == .failure(.truncated))
        #expect(run([Self.chunk("a")], transportError: "connection lost").result == .failure(.truncated))
    }

    @Test func garbageAndErrorEventsAreMalformed() {
        #expect(run(["data: not json\n\n"]).result == .failure(.malformedEvent("data is not a JSON object (8 bytes)")))
        #expect(run(["data: {\"object\":\"x\"}\n\n"]).result == .failure(.malformedEvent("a chunk without choices")))
        #expect(run([Self.chunk("a"), "data: {\"error\":{\"message\":\"overloaded\"}}\n\n"]).result
            == .failure(.malformedEvent("the stream carried an error: overloaded")))
    }

    @Test func noContentIsAnEmptyAnswer() {
        #expect(run([Self.chunk(reasoning: "only thinking"), "data: [DONE]\n\n"]).result == .failure(.emptyAnswer))
    }

    @Test func aNon200StatusGivesTheServersMessage() {
        #expect(run(status: 401, ["{\"error\":{\"message\":\"Incorrect API key\",\"type\":\"auth\"}}"]).result
            == .failure(.status(401, message: "Incorrect API key")))
        #expect(run(status: 500, ["{\"error\":", "\"model crashed\"}"]).result == .failure(.status(500, message: "model crashed")))
        #expect(run(status: 404, ["{\"detail\":\"Not Found\"}"]).result == .failure(.status(404, message: "Not Found")))
        #expect(run(status: 502, ["<html>\nBad\ngateway</html>"]).result == .failure(.status(502, message: "<html> Bad gateway</html>")))
        let long = String(repeating: "x", count: 500)
        #expect(run(status: 503, [long]).result == .failure(.status(503, message: String(repeating: "x", count: 200) + "…")))
    }

    @Test func noResponseIsAConnectionFailure() {
        var stream = ChatCompletionStream()
        #expect(stream.end(transportError: "connection refused") == .failure(.connection("connection refused")))
    }

    @Test func contentIsCappedAndTheCapEndsTheStream() {
        let piece = String(repeating: "字", count: 10_000)  // 30000 bytes
        var stream = ChatCompletionStream()
        stream.receive(status: 200)
        for _ in 0..<3 { _ = stream.receive(Array(Self.chunk(piece).utf8)) }
        #expect(stream.isFinished)
        guard case .success(let completion) = stream.end() else {
            Issue.record("expected an answer")
            return
        }
        #expect(completion.content.utf8.count == ChatCompletionStream.maxContentBytes - ChatCompletionStream.maxContentBytes % 3)
    }

    @Test func theRequestBodyIsStreamingJSON() {
        let request = ChatCompletionRequest(model: "m", messages: [ChatMessage(role: "user", content: "hi/there")], maxTokens: 5)
        #expect(String(decoding: request.jsonBody(), as: UTF8.self)
            == #"{"max_tokens":5,"messages":[{"content":"hi/there","role":"user"}],"model":"m","stream":true}"#)
        let noLimit = ChatCompletionRequest(model: "m", messages: [])
        #expect(String(decoding: noLimit.jsonBody(), as: UTF8.self) == #"{"messages":[],"model":"m","stream":true}"#)
    }

    @Test func theKeyIsRedactedFromServerMessages() {
        let client = ChatCompletionClient(baseURL: "http://127.0.0.1:1/v1/", apiKey: "sk-123")
        #expect(client.endpoint?.absoluteString == "http://127.0.0.1:1/v1/chat/completions")
        #expect(client.redacted(.failure(.status(401, message: "bad key sk-123"))) == .failure(.status(401, message: "bad key ***")))
    }

    @Test func errorDescriptionsAndOutcomes() {
        #expect(LLMError.status(401, message: "no").description == "status 401: no")
        #expect(LLMError.timedOut(afterMS: 1500).description == "timed out after 1500 ms")
        #expect([LLMError.connection("x"), .status(500, message: ""), .malformedEvent("x"), .truncated, .timedOut(afterMS: 1), .emptyAnswer]
            .map(\.outcome) == ["connection", "status", "malformed", "truncated", "timeout", "empty"])
    }
}

/// The in-memory conversation store with a hand-moved clock.
@Suite struct ConversationStoreTests {
    static let alice = ConversationKey(app: "a", user: "alice")
    static let bob = ConversationKey(app: "a", user: "bob")

    @Test func keepsTheLastTurnsPerUserOldestFirst() {
        let store = InMemoryConversationStore(now: ManualClock().now)
        for i in 1...4 { store.append(ChatExchange(user: "q\(i)", assistant: "a\(i)"), to: Self.alice, keeping: 3, ttl: .seconds(60)) }
        store.append(ChatExchange(user: "bq", assistant: "ba"), to: Self.bob, keeping: 3, ttl: .seconds(60))
        #expect(store.history(for: Self.alice).map(\.user) == ["q2", "q3", "q4"])
        #expect(store.history(for: Self.bob) == [ChatExchange(user: "bq", assistant: "ba")])
        #expect(store.history(for: ConversationKey(app: "other", user: "alice")) == [])
    }

    @Test func aConversationExpiresTTLAfterItsLastExchange() {
        let clock = ManualClock()
        let store = InMemoryConversationStore(now: clock.now)
        store.append(ChatExchange(user: "q1", assistant: "a1"), to: Self.alice, keeping: 6, ttl: .seconds(60))
        clock.advance(.seconds(50))
        store.append(ChatExchange(user: "q2", assistant: "a2"), to: Self.alice, keeping: 6, ttl: .seconds(60))
        clock.advance(.seconds(59))
        #expect(store.history(for: Self.alice).map(\.user) == ["q1", "q2"])
        clock.advance(.seconds(1))
        #expect(store.history(for: Self.alice) == [])
        #expect(store.count == 0)
        // A new exchange after expiry starts afresh.
        store.append(ChatExchange(user: "q3", assistant: "a3"), to: Self.alice, keeping: 6, ttl: .seconds(60))
        #expect(store.history(for: Self.alice).map(\.user) == ["q3"])
    }

    @Test func overCapacityTheLeastRecentlyUsedIsForgotten() {
        let clock = ManualClock()
        let store = InMemoryConversationStore(capacity: 2, now: clock.now)
        let carol = ConversationKey(app: "a", user: "carol")
        store.append(ChatExchange(user: "1", assistant: "1"), to: Self.alice, keeping: 2, ttl: .seconds(60))
        clock.advance(.seconds(1))
        store.append(ChatExchange(user: "2", assistant: "2"), to: Self.bob, keeping: 2, ttl: .seconds(60))
        clock.advance(.seconds(1))
        _ = store.history(for: Self.alice)  // alice is used again: bob is now the oldest
        clock.advance(.seconds(1))
        store.append(ChatExchange(user: "3", assistant: "3"), to: carol, keeping: 2, ttl: .seconds(60))
        #expect(store.count == 2)
        #expect(store.history(for: Self.bob) == [])
        #expect(store.history(for: Self.alice).count == 1 && store.history(for: carol).count == 1)
    }

    @Test func longMessagesAreCut() {
        let store = InMemoryConversationStore(now: ManualClock().now)
        let long = String(repeating: "é", count: 10_000)  // 20000 bytes
        store.append(ChatExchange(user: long, assistant: long), to: Self.alice, keeping: 1, ttl: .seconds(60))
        let kept = store.history(for: Self.alice)
        #expect(kept.map(\.user.utf8.count) == [InMemoryConversationStore.maxMessageBytes])
        #expect(kept.map(\.assistant.utf8.count) == [InMemoryConversationStore.maxMessageBytes])
    }
}

/// `llm` route keys through the loader, asserted exactly, and what the action sends.
@Suite struct LLMActionTests {
    func problems(_ toml: String, environment: [String: String] = RT.secrets) -> [String] {
        do {
            _ = try Configuration.parse(toml, environment: environment)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func keysAreValidatedWithLinesAndSuggestions() {
        let toml = ConfigCheckTests.app + """
            [[app.route]]
            action = "llm"
            base_url = "ftp://x"
            model = ""
            history_turn = 3
            api_key_env = "NOT_SET"
            history_turns = 51
            history_ttl_s = 0
            max_tokens = 0
            timeout_ms = 600001
            [[app.route]]
            action = "llm"
            api_key_env = "K"
            api_key_file = "/k"
            """
        #expect(problems(toml) == [
            "app[0].route[0].history_turn: unknown key; did you mean \"history_turns\"? (line 7)",
            "app[0].route[0].base_url: must be an http:// or https:// URL with a host (line 5)",
            "app[0].route[0].model: must not be empty (line 6)",
            "app[0].route[0].api_key_env: environment variable NOT_SET is not set (line 8)",
            "app[0].route[0].history_turns: must be between 0 (no memory) and 50 (line 9)",
            "app[0].route[0].history_ttl_s: must be between 1 and 604800 seconds (line 10)",
            "app[0].route[0].max_tokens: must be between 1 and 1000000 (line 11)",
            "app[0].route[0].timeout_ms: must be between 1 and 600000 (line 12)",
            "app[0].route[1].base_url: missing (action \"llm\" needs it, e.g. \"http://127.0.0.1:11434/v1\") (line 13)",
            "app[0].route[1].model: missing (action \"llm\" needs it) (line 13)",
            "app[0].route[1].api_key_file: give only one of api_key_env, api_key_file (line 16)",
        ])
    }

    @Test func aValidRouteLoadsWithItsKeyAndWarnsWithoutActiveSend() throws {
        let toml = ConfigCheckTests.app + """
            [[app.route]]
            action = "llm"
            base_url = "https://api.example.com/v1/"
            model = "m"
            api_key_env = "LLM_KEY"
            system = "你是{{ToUserName}}的助手"
            history_turns = 0
            """
        let config = try Configuration.parse(toml, environment: RT.secrets.merging(["LLM_KEY": " sk-1 "]) { $1 })
        let action = try #require(config.apps[0].routes[0].action as? LLMAction)
        #expect(action.baseURL == "https://api.example.com/v1")
        #expect(action.apiKey == "sk-1")
        #expect(action.historyTurns == 0 && action.historyTTLSeconds == 3600 && action.timeoutMS == 60000 && action.maxTokens == nil)
        #expect(action.runsBesideRequest)
        #expect(!action.description.contains("sk-1"))
        #expect(config.warnings.map(\.description) == [
            "warning: app[0].route[0].action: an answer after reply_budget_ms (4000) is dropped without corp_secret; give the app a corp_secret so late answers go by active send (line 4)",
        ])
    }

    @Test func theKeysVariableIsKeptFromPrograms() throws {
        let toml = ConfigCheckTests.app + """
            [[app.route]]
            msg_type = "text"
            action = "llm"
            base_url = "http://127.0.0.1:11434/v1"
            model = "m"
            api_key_env = "LLM_KEY"
            [[app.route]]
            action = "exec"
            command = ["/bin/true"]
            """
        let config = try Configuration.parse(toml, environment: RT.secrets.merging(["LLM_KEY": "sk-1", "OTHER": "x"]) { $1 })
        let exec = try #require(config.apps[0].routes[1].action as? ExecAction)
        #expect(exec.baseEnvironment["LLM_KEY"] == nil && exec.baseEnvironment["OTHER"] == "x")
    }

    @Test func theChatHasTheSystemPromptTheHistoryAndTheText() throws {
        let action = LLMAction(baseURL: "http://x/v1", model: "m", system: try MessageTemplate("for {{FromUserName}}"))
        let message = try InboundMessage(xml: Array("<xml><ToUserName>corp</ToUserName><FromUserName>alice</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>".utf8))
        #expect(action.messages(for: message, text: "hi", history: [ChatExchange(user: "q", assistant: "a")]) == [
            ChatMessage(role: "system", content: "for alice"), ChatMessage(role: "user", content: "q"),
            ChatMessage(role: "assistant", content: "a"), ChatMessage(role: "user", content: "hi"),
        ])
        let noSystem = LLMAction(baseURL: "http://x/v1", model: "m")
        #expect(noSystem.messages(for: message, text: "hi", history: []) == [ChatMessage(role: "user", content: "hi")])
    }

    @Test func aThinkPartInTheContentIsDropped() {
        #expect(LLMAction.answer(from: "\n<think>\nreasoning\n</think>\n\nThe answer.\n") == "The answer.")
        #expect(LLMAction.answer(from: "  plain  ") == "plain")
        #expect(LLMAction.answer(from: "<think>never closed") == "<think>never closed")
        #expect(LLMAction.answer(from: "text <think>x</think>") == "text <think>x</think>")
    }
}
