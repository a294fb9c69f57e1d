import Foundation
import Logging
import Platform
import Testing
@testable import WeComCallback

/// The AI-bot `llm` action: what the stream shows as deltas arrive, its route keys, and how it ends when
/// the model cannot be reached. (The streamed answer, memory and retries against a mock model server
/// are in Tests/Python/test_bot_llm.py.)
@Suite struct BotLLMTests {
    /// Feeds deltas and returns what the stream shows after each, and the transcript.
    func shown(_ deltas: [ChatDelta], close: Bool = true) -> (steps: [String], transcript: BotLLMAction.Transcript) {
        var transcript = BotLLMAction.Transcript()
        var stream = BotStream(id: "s")
        var steps: [String] = []
        for delta in deltas {
            stream.append(transcript.add(delta))
            steps.append(stream.shownContent)
        }
        if close {
            stream.append(transcript.close())
            steps.append(stream.shownContent)
        }
        return (steps, transcript)
    }

    @Test func reasoningComesFirstAsAThinkPartThenTheAnswer() {
        let (steps, transcript) = shown([
            ChatDelta(reasoning: "想一"), ChatDelta(reasoning: "想"), ChatDelta(content: "你好"), ChatDelta(content: "!"),
        ])
        #expect(steps == ["<think>想一", "<think>想一想", "<think>想一想</think>\n你好", "<think>想一想</think>\n你好!",
                          "<think>想一想</think>\n你好!"])
        #expect(String(decoding: transcript.written, as: UTF8.self) == "<think>想一想</think>\n你好!")
    }

    @Test func anAnswerWithoutReasoningHasNoThinkPart() {
        let (steps, _) = shown([ChatDelta(content: "a"), ChatDelta(content: "b")])
        #expect(steps == ["a", "ab", "ab"])
    }

    @Test func reasoningOnlyIsClosedAtTheEnd() {
        #expect(shown([ChatDelta(reasoning: "hmm")]).steps == ["<think>hmm", "<think>hmm</think>\n"])
    }

    @Test func reasoningAndContentInOneDeltaAndLateReasoning() {
        let (steps, _) = shown([ChatDelta(content: "x", reasoning: "r"), ChatDelta(content: "y", reasoning: "late")])
        // Reasoning after the answer began cannot go before it: dropped from the stream.
        #expect(steps == ["<think>r</think>\nx", "<think>r</think>\nxy", "<think>r</think>\nxy"])
    }

    @Test func aLongAnswerIsShownCutAtACharacterBoundary() {
        let (steps, transcript) = shown(Array(repeating: ChatDelta(content: "长"), count: 7000), close: false)
        let last = steps[steps.count - 1]
        #expect(last.utf8.count == 20478)  // 6826 characters of 3 bytes ≤ 20480
        #expect(last == String(repeating: "长", count: 6826))
        #expect(transcript.written.count == BotStream.maxStoredBytes)
    }

    @Test func onlyTextAndVoiceAreSentToTheModel() throws {
        #expect(BotLLMAction.text(of: try BotMessage(parsing: Bot.text("你好"))) == "你好")
        #expect(BotLLMAction.text(of: try BotMessage(parsing: Bot.message("voice", #""voice":{"content":"语音"}"#))) == "语音")
        #expect(BotLLMAction.text(of: try BotMessage(parsing: Bot.message("image", #""image":{"url":"http://x/i"}"#))) == nil)
        #expect(BotLLMAction.text(of: try BotMessage(parsing: Bot.message("mixed", #""mixed":{"msg_item":[{"msgtype":"text","text":{"content":"t"}}]}"#))) == nil)
    }

    static let route = """
        [[bot.route]]
        msg_type = "text"
        action = "llm"
        base_url = "http://127.0.0.1:9/v1/"
        model = "m"
        api_key_env = "LLM_KEY"
        system = "你是{{from.userid}}的助手"
        on_error = "出错了 {{from.userid}}"
        """

    static func config(_ routes: String = route, environment: [String: String] = ["PATH": "/usr/bin:/bin", "LLM_KEY": "sk-bot"]) throws(ConfigError) -> Configuration {
        try Configuration.parse("""
            [[bot]]
            name = "assistant"
            path = "/bot"
            token = "\(Bot.token)"
            encoding_aes_key = "\(Bot.key)"
            \(routes)
            """, environment: environment)
    }

    @Test func aBotRouteLoadsTheSharedKeysWithoutTheAppsActiveSendWarning() throws {
        let config = try Self.config()
        let action = try #require(config.bots[0].routes[0].action as? BotLLMAction)
        #expect(action.llm.baseURL == "http://127.0.0.1:9/v1")
        #expect(action.llm.apiKey == "sk-bot")
        #expect(action.llm.timeoutMS == 60000 && action.llm.historyTurns == 6)
        #expect(config.warnings.isEmpty)
        let message = try BotMessage(parsing: Bot.text("hi"))
        #expect(action.llm.messages(fields: message.fields, text: "hi", history: [ChatExchange(user: "q", assistant: "a")]) == [
            ChatMessage(role: "system", content: "你是zhangsan的助手"), ChatMessage(role: "user", content: "q"),
            ChatMessage(role: "assistant", content: "a"), ChatMessage(role: "user", content: "hi"),
        ])
        #expect(action.refusedContent(for: message) == "出错了 zhangsan")
    }

    @Test func theTimeoutEndsInsideTheStreamsSixMinutes() {
        do throws(ConfigError) {
            _ = try Self.config(Self.route + "\ntimeout_ms = 345001\n")
            Issue.record("timeout_ms 345001 accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["bot[0].route[0].timeout_ms: must be between 1 and 345000 (line 14)"])
        }
    }

    @Test func aMissingModelAndBaseURLAreReported() {
        do throws(ConfigError) {
            _ = try Self.config("[[bot.route]]\naction = \"llm\"\n")
            Issue.record("llm without base_url accepted")
        } catch {
            #expect(error.problems.map(\.description) == [
                "bot[0].route[0].base_url: missing (action \"llm\" needs it, e.g. \"http://127.0.0.1:11434/v1\") (line 6)",
                "bot[0].route[0].model: missing (action \"llm\" needs it) (line 6)",
            ])
        }
    }

    /// A pipeline with the llm route, its memory and metrics.
    static func pipeline(onError: String? = "模型暂时不可用") throws -> (BotPipeline, InMemoryConversationStore, ServiceMetrics) {
        let llm = LLMAction(baseURL: "http://127.0.0.1:9/v1", model: "m", onError: try onError.map { try MessageTemplate($0) })
        var p = BotPipeline(botName: "b", router: BotRouter(routes: [BotRoute(index: 0, action: BotLLMAction(llm: llm))]),
                            logger: Logger(label: "t"), metrics: ServiceMetrics())
        let store = InMemoryConversationStore()
        p.conversations = store
        return (p, store, p.metrics!)
    }

    @Test func aModelThatCannotBeReachedEndsTheStreamWithOnErrorAndNoMemory() throws {
        let (p, store, metrics) = try Self.pipeline()
        guard case .reply(let bytes) = p.process(Bot.text("秘密问题"), context: BotExecTests.context()).disposition else {
            Issue.record("no reply"); return
        }
        let first = WeComCallback.JSONValue.object(try BotJSON.parseObject(bytes))
        let id = try #require(first.value(at: "stream/id")?.stringValue)
        let stream = try #require(BotExecTests.finished(p, id))
        #expect(stream.shownContent == "模型暂时不可用")
        #expect(store.history(for: ConversationKey(app: "b", user: "zhangsan")).isEmpty)
        #expect(String(decoding: metrics.render(), as: UTF8.self).contains(#"wecom_llm_calls_total{app="b",outcome="connection"} 1"#))
        // The retry answers the same, finished stream.
        guard case .reply(let again) = p.process(Bot.text("秘密问题"), context: BotExecTests.context()).disposition else {
            Issue.record("no reply to the retry"); return
        }
        let retried = WeComCallback.JSONValue.object(try BotJSON.parseObject(again))
        #expect(retried.value(at: "stream/id") == .string(id))
        #expect(retried.value(at: "stream/finish") == .bool(true))
        #expect(retried.value(at: "stream/content") == .string("模型暂时不可用"))
        #expect(!String(decoding: metrics.render(), as: UTF8.self).contains(#"outcome="connection"} 2"#))
    }

    @Test func anImageRoutedToTheModelGetsNoReply() throws {
        let (p, _, _) = try Self.pipeline()
        let outcome = p.process(Bot.message("image", #""image":{"url":"http://127.0.0.1:9/i"}"#), context: BotExecTests.context())
        #expect(outcome.disposition == .noReply)
    }
}
