import Platform

/// `llm` for AI bots: the answer of any OpenAI-compatible chat model streams into the message's stream
/// as its deltas arrive (spec `wecom-aibot.md` §4; issue 15).
///
/// Keys: those of the app action (``LLMAction``, loaded by the same code): `base_url`, `model`,
/// `api_key_env` / `api_key_file`, `system` (a template over the message's JSON fields, e.g.
/// `{{from.userid}}`), `history_turns`, `history_ttl_s`, `max_tokens`, `timeout_ms` (default 60000, at
/// most 345000: the stream ends inside WeCom's six minutes of refreshes) and `on_error`.
///
/// - Only `text` and `voice` messages (`text.content`, `voice.content`) are sent to the model; anything
///   else routed here gets no reply.
/// - Each refresh shows everything so far (UTF-8-safe, cut to 20480 bytes by ``BotStream``):
///   `reasoning_content` deltas as a leading `<think>…</think>` part, then the answer; `finish` comes with
///   `[DONE]`.
/// - Memory: the same ``ConversationStore`` as the apps', per (bot name, `from.userid`) — names are
///   unique across apps and bots.
/// - A connection failure, a non-200 status, malformed events, an empty answer or `timeout_ms` end the
///   stream with `on_error` (empty when not set) and one log line with the reason; never the key, never
///   the user's text.
/// - A retried `msgid` gets the same stream from the ``StreamStore``: the model is called once.
struct BotLLMAction: BotAction, BotStreamProducer {
    static let name = "llm"
    static let keys = LLMAction.keys
    /// The largest `timeout_ms`: ends inside WeCom's six minutes of refreshes.
    static let maxTimeoutMS = BotExecAction.maxTimeoutMS

    /// The settings and the client, shared with the app action.
    var llm: LLMAction

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotLLMAction? {
        LLMAction.loadSettings(from: table, at: path, loader: &loader, maxTimeoutMS: maxTimeoutMS).map(BotLLMAction.init)
    }

    /// The user's words sent to the model: `text.content` or `voice.content`; `nil` for other messages.
    static func text(of message: BotMessage) -> String? {
        guard message.msgType == "text" || message.msgType == "voice" else { return nil }
        return message.contents.first
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult {
        guard Self.text(of: message) != nil else {
            context.logger.debug("llm bot=\(context.botName) route=\(context.routeIndex): \(LogText.sanitize(message.summary, limit: 64)) is not sent to the model; no reply")
            return .none
        }
        return .stream(self)
    }

    func refusedContent(for message: BotMessage) -> String { llm.onError?.render(message.fields) ?? "" }

    func produce(for message: BotMessage, context: BotActionContext, slot: ProgramSupervisor.Slot,
                 append: @escaping @Sendable ([UInt8]) -> Void) -> BotStreamEnd {
        let text = Self.text(of: message) ?? ""
        let key = ConversationKey(app: context.botName, user: message.fromUserID)
        let store = llm.historyTurns > 0 ? context.conversations : nil
        let label = "bot=\(context.botName) route=\(context.routeIndex)"
        let history = llm.history(for: key, in: store, logger: context.logger, label: label)
        let request = ChatCompletionRequest(model: llm.model, messages: llm.messages(fields: message.fields, text: text, history: history),
                                            maxTokens: llm.maxTokens)
        let transcript = Locked(Transcript())
        let outcome = llm.client.complete(request, timeout: .milliseconds(llm.timeoutMS)) { delta in
            let bytes = transcript.withLock { $0.add(delta) }
            if !bytes.isEmpty { append(bytes) }
        }
        let failed: (LLMError) -> BotStreamEnd = { error in
            BotStreamEnd(replacement: refusedContent(for: message), output: transcript.withLock { $0.written },
                         failure: "llm \(llm.model): \(error)")
        }
        switch outcome.result {
        case .success(let completion):
            let answer = LLMAction.answer(from: completion.content)
            context.metrics?.llmCall(app: context.botName, outcome: answer.isEmpty ? LLMError.emptyAnswer.outcome : "ok",
                                     timeToFirstDelta: outcome.timeToFirstDelta, deltas: completion.deltas)
            guard !answer.isEmpty else { return failed(.emptyAnswer) }
            let closing = transcript.withLock { $0.close() }
            if !closing.isEmpty { append(closing) }
            llm.remember(ChatExchange(user: text, assistant: answer), for: key, in: store, logger: context.logger, label: label)
            context.logger.debug("llm \(label) model=\(llm.model): \(completion.deltas) deltas, \(answer.utf8.count) bytes, finish_reason=\(completion.finishReason ?? "-")")
            return BotStreamEnd(replacement: nil, output: transcript.withLock { $0.written })
        case .failure(let error):
            context.metrics?.llmCall(app: context.botName, outcome: error.outcome, timeToFirstDelta: outcome.timeToFirstDelta, deltas: 0)
            return failed(error)
        }
    }
}

extension BotLLMAction {
    /// What a stream shows of an answer as its deltas arrive, append-only: reasoning first as
    /// `<think>…</think>`, then the answer. Reasoning that comes after the answer has begun cannot go
    /// before it any more and is dropped from the stream. A value; tests drive it with plain deltas.
    struct Transcript: Sendable, Equatable {
        enum Phase: Sendable, Equatable { case empty, thinking, answering }
        var phase = Phase.empty
        /// Everything appended so far, kept up to ``BotStream/maxStoredBytes`` (for a late delivery).
        var written: [UInt8] = []

        /// The bytes to append to the stream for one delta (empty when nothing shows).
        mutating func add(_ delta: ChatDelta) -> [UInt8] {
            var out = ""
            if !delta.reasoning.isEmpty {
                switch phase {
                case .empty: out += "<think>" + delta.reasoning; phase = .thinking
                case .thinking: out += delta.reasoning
                case .answering: break
                }
            }
            if !delta.content.isEmpty {
                if phase == .thinking { out += "</think>\n" }
                out += delta.content
                phase = .answering
            }
            return record(out)
        }

        /// The bytes that close an open `<think>` part at the end of the answer (empty otherwise).
        mutating func close() -> [UInt8] {
            guard phase == .thinking else { return [] }
            phase = .answering
            return record("</think>\n")
        }

        private mutating func record(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            written.append(contentsOf: bytes.prefix(max(0, BotStream.maxStoredBytes - written.count)))
            return bytes
        }
    }
}
