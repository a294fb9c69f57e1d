import Logging

/// `llm`: answer a text message with any OpenAI-compatible chat model, remembering the last exchanges
/// per user.
///
/// Keys: `base_url` (required, e.g. `http://127.0.0.1:11434/v1`), `model` (required), `api_key_env` or
/// `api_key_file` (optional: the bearer key, never inline), `system` (a template over the message's
/// fields), `history_turns` (default 6, 0 = none), `history_ttl_s` (default 3600), `max_tokens`,
/// `timeout_ms` (default 60000) and `on_error` (a template).
///
/// It runs beside the request like `exec` (in a ``ProgramSupervisor`` slot, counted in `max_programs`):
/// an answer complete inside the reply budget is the passive text reply; a later one goes by active
/// send (split as active send splits). Only `text` messages are sent to the model (an image, voice …
/// routed here gets no reply). Failures (connection refused, a non-200 status with the server's
/// message, malformed events, `timeout_ms`) give the `on_error` text and one log line with the status;
/// the key and the user's text are never logged.
struct LLMAction: Action, Equatable, CustomStringConvertible {
    static let name = "llm"
    static let keys = ["base_url", "model", "api_key_env", "api_key_file", "system", "history_turns", "history_ttl_s",
                       "max_tokens", "timeout_ms", "on_error"]

    static let defaultHistoryTurns = 6
    static let maxHistoryTurns = 50
    static let defaultHistoryTTLSeconds = 3600
    static let maxHistoryTTLSeconds = 7 * 86_400
    static let defaultTimeoutMS = 60_000
    static let maxTimeoutMS = 600_000
    static let maxMaxTokens = 1_000_000
    /// The most of an answer replied, in UTF-8 bytes (8 messages of 2048 bytes by active send).
    static let maxAnswerBytes = 16_384

    /// `base_url` without trailing slashes.
    var baseURL: String
    /// `model`.
    var model: String
    /// The key read from `api_key_env` / `api_key_file`, if any.
    var apiKey: String?
    /// `system`, if set.
    var system: MessageTemplate?
    /// `history_turns`: exchanges sent back to the model (0 = none).
    var historyTurns = defaultHistoryTurns
    /// `history_ttl_s`: seconds a conversation is kept after its last exchange.
    var historyTTLSeconds = defaultHistoryTTLSeconds
    /// `max_tokens`, if set.
    var maxTokens: Int?
    /// `timeout_ms`: the limit for the whole answer.
    var timeoutMS = defaultTimeoutMS
    /// `on_error`, if set.
    var onError: MessageTemplate?

    var runsBesideRequest: Bool { true }

    /// The settings, never the key.
    var description: String {
        "llm base_url=\(baseURL) model=\(model) key=\(apiKey == nil ? "none" : "set") history_turns=\(historyTurns) timeout_ms=\(timeoutMS)"
    }

    var client: ChatCompletionClient { ChatCompletionClient(baseURL: baseURL, apiKey: apiKey) }

    func onErrorReply(for message: InboundMessage) -> PassiveReply? {
        onError.map { PassiveReply.text($0.render(message.fields)) }
    }

    /// The chat sent for a message: the rendered `system` (when not empty), the remembered exchanges,
    /// then the user's text.
    func messages(for message: InboundMessage, text: String, history: [ChatExchange]) -> [ChatMessage] {
        messages(fields: message.fields, text: text, history: history)
    }

    /// The chat sent for a message whose template fields are `fields` (an app's or an AI bot's).
    func messages(fields: [String: String], text: String, history: [ChatExchange]) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        if let prompt = system?.render(fields), !prompt.isEmpty {
            messages.append(ChatMessage(role: "system", content: prompt))
        }
        for exchange in history {
            messages.append(ChatMessage(role: "user", content: exchange.user))
            messages.append(ChatMessage(role: "assistant", content: exchange.assistant))
        }
        messages.append(ChatMessage(role: "user", content: text))
        return messages
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        guard case .text(let text) = message.payload else {
            context.logger.debug("llm app=\(context.appName) route=\(context.routeIndex): msgtype \(LogText.sanitize(message.msgType, limit: 32)) is not sent to the model")
            return .noReply
        }
        let key = ConversationKey(app: context.appName, user: message.fromUserName)
        let store = historyTurns > 0 ? context.conversations : nil
        let label = "app=\(context.appName) route=\(context.routeIndex)"
        let history = self.history(for: key, in: store, logger: context.logger, label: label)
        let request = ChatCompletionRequest(model: model, messages: messages(for: message, text: text, history: history),
                                            maxTokens: maxTokens)
        let outcome = client.complete(request, timeout: .milliseconds(timeoutMS))
        switch outcome.result {
        case .success(let completion):
            let answer = Self.answer(from: completion.content)
            context.metrics?.llmCall(app: context.appName, outcome: answer.isEmpty ? LLMError.emptyAnswer.outcome : "ok",
                                     timeToFirstDelta: outcome.timeToFirstDelta, deltas: completion.deltas)
            guard !answer.isEmpty else {
                return .failed(reason: "llm \(model): \(LLMError.emptyAnswer)", fallback: onErrorReply(for: message))
            }
            remember(ChatExchange(user: text, assistant: answer), for: key, in: store, logger: context.logger, label: label)
            context.logger.debug("llm app=\(context.appName) route=\(context.routeIndex) model=\(model): \(completion.deltas) deltas, \(answer.utf8.count) bytes, finish_reason=\(completion.finishReason ?? "-")")
            return .reply(.text(XMLText.truncatedUTF8(answer, maxBytes: Self.maxAnswerBytes)))
        case .failure(let error):
            context.metrics?.llmCall(app: context.appName, outcome: error.outcome, timeToFirstDelta: outcome.timeToFirstDelta,
                                     deltas: 0)
            return .failed(reason: "llm \(model): \(error)", fallback: onErrorReply(for: message))
        }
    }

    /// The last `history_turns` exchanges of a conversation, oldest first; a store that cannot be read
    /// is logged (warning, `label` names the app or bot and route) and the model is asked without them.
    func history(for key: ConversationKey, in store: (any ConversationStore)?, logger: Logger, label: String) -> [ChatExchange] {
        guard let store, historyTurns > 0 else { return [] }
        do {
            return Array(try store.history(for: key).suffix(historyTurns))
        } catch {
            logger.warning("llm \(label): history unavailable (\(error)); answering without it")
            return []
        }
    }

    /// Remembers an exchange for `history_ttl_s`, keeping `history_turns`; a store that cannot be written
    /// is logged (warning) and the answer stands.
    func remember(_ exchange: ChatExchange, for key: ConversationKey, in store: (any ConversationStore)?, logger: Logger, label: String) {
        guard let store, historyTurns > 0 else { return }
        do {
            try store.append(exchange, to: key, keeping: historyTurns, ttl: .seconds(historyTTLSeconds))
        } catch {
            logger.warning("llm \(label): history not saved (\(error))")
        }
    }

    /// The text replied for a model's content: a leading `<think>…</think>` part (reasoning that some
    /// models put into the content itself) is dropped, like `reasoning_content`; whitespace around the
    /// answer is trimmed.
    static func answer(from content: String) -> String {
        var text = Substring(content)
        let trimmed = text.drop(while: { $0.isWhitespace })
        if trimmed.hasPrefix("<think>"), let end = trimmed.range(of: "</think>") {
            text = trimmed[end.upperBound...]
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension LLMAction {
    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> LLMAction? {
        guard let action = loadSettings(from: table, at: path, loader: &loader, maxTimeoutMS: maxTimeoutMS) else { return nil }
        // A model often takes longer than WeCom waits: the answer then needs active send.
        if action.timeoutMS > loader.replyBudgetMS && !loader.appNamesCorpSecret {
            loader.warning(table["timeout_ms"] == nil ? "\(path).action" : "\(path).timeout_ms",
                           "an answer after reply_budget_ms (\(loader.replyBudgetMS)) is dropped without corp_secret; give the app a corp_secret so late answers go by active send")
        }
        return action
    }

    /// The keys shared by the app and AI-bot `llm` actions, validated through the loader.
    /// - Parameters:
    ///   - table: the route table.
    ///   - path: the route's config path, for problems.
    ///   - loader: where problems go.
    ///   - maxTimeoutMS: the largest `timeout_ms` the caller allows.
    /// - Returns: the settings, or `nil` after reporting an error.
    static func loadSettings(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader,
                             maxTimeoutMS: Int) -> LLMAction? {
        let before = loader.problems.count
        var baseURL: String?
        if table["base_url"] == nil {
            loader.error("\(path).base_url", "missing (action \"llm\" needs it, e.g. \"http://127.0.0.1:11434/v1\")")
        } else if let url = loader.string(table, "base_url", at: path) {
            if let problem = ActiveSendSettings.problem(apiBase: url) {
                loader.error("\(path).base_url", problem)
            } else {
                baseURL = url
            }
        }
        var model: String?
        if table["model"] == nil {
            loader.error("\(path).model", "missing (action \"llm\" needs it)")
        } else if let name = loader.string(table, "model", at: path) {
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                loader.error("\(path).model", "must not be empty")
            } else {
                model = name
            }
        }
        var apiKey: String?
        if table["api_key_env"] != nil, table["api_key_file"] != nil {
            loader.error("\(path).api_key_file", "give only one of api_key_env, api_key_file")
        } else if table["api_key_env"] != nil || table["api_key_file"] != nil {
            apiKey = loader.secret("api_key", in: table, at: path, oneApp: false)
            if let baseURL, apiKey != nil, ActiveSendSettings.isCleartextRemote(apiBase: baseURL) {
                loader.warning("\(path).base_url", "plain http to a remote host sends the API key unencrypted")
            }
        }
        let system = loader.template(table, "system", at: path)
        var action = LLMAction(baseURL: baseURL ?? "", model: model ?? "", apiKey: apiKey, system: system)
        if let turns = loader.integer(table, "history_turns", at: path) {
            if (0...maxHistoryTurns).contains(turns) {
                action.historyTurns = turns
            } else {
                loader.error("\(path).history_turns", "must be between 0 (no memory) and \(maxHistoryTurns)")
            }
        }
        if let ttl = loader.integer(table, "history_ttl_s", at: path) {
            if (1...maxHistoryTTLSeconds).contains(ttl) {
                action.historyTTLSeconds = ttl
                if action.historyTurns == 0 { loader.warning("\(path).history_ttl_s", "has no effect with history_turns = 0") }
            } else {
                loader.error("\(path).history_ttl_s", "must be between 1 and \(maxHistoryTTLSeconds) seconds")
            }
        }
        if let tokens = loader.integer(table, "max_tokens", at: path) {
            if (1...maxMaxTokens).contains(tokens) {
                action.maxTokens = tokens
            } else {
                loader.error("\(path).max_tokens", "must be between 1 and \(maxMaxTokens)")
            }
        }
        if let ms = loader.integer(table, "timeout_ms", at: path) {
            if (1...maxTimeoutMS).contains(ms) {
                action.timeoutMS = ms
            } else {
                loader.error("\(path).timeout_ms", "must be between 1 and \(maxTimeoutMS)")
            }
        }
        action.onError = loader.template(table, "on_error", at: path)
        guard loader.problems[before...].allSatisfy({ $0.severity == .warning }), baseURL != nil, model != nil else { return nil }
        var trimmed = action.baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        action.baseURL = trimmed
        return action
    }
}
