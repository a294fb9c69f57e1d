/// Whose conversation: an app (or, later, an AI bot) by its configured name, and the user
/// (`FromUserName`, the userid).
public struct ConversationKey: Sendable, Hashable {
    /// The app's (or bot's) configured name.
    public var app: String
    /// The user's userid.
    public var user: String

    /// - Parameters:
    ///   - app: the app's configured name.
    ///   - user: the userid.
    public init(app: String, user: String) {
        self.app = app
        self.user = user
    }
}

/// One remembered exchange: what the user said and what the model answered.
public struct ChatExchange: Sendable, Equatable {
    /// The user's text.
    public var user: String
    /// The model's answer.
    public var assistant: String

    /// - Parameters:
    ///   - user: the user's text.
    ///   - assistant: the answer.
    public init(user: String, assistant: String) {
        self.user = user
        self.assistant = assistant
    }
}

/// Why a conversation store could not be used (a shared store that is down). The `llm` action then
/// answers without history: a store that is down degrades the memory, never the answer.
public struct ConversationStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, without any message text.
    public var reason: String

    /// - Parameter reason: what failed.
    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }
}

/// The `llm` action's memory: the last exchanges per (app, user), forgotten `ttl` after the last one.
///
/// Two operations a shared store (Redis: a list trimmed to the last N, with an expiry refreshed on each
/// append) can carry out as well as the in-process one; ``InMemoryConversationStore`` is the default,
/// kept in ``ServerRuntime`` so that a reload does not forget.
public protocol ConversationStore: Sendable {
    /// The remembered exchanges, oldest first (none once the conversation expired).
    /// - Parameter key: the conversation.
    /// - Returns: at most the `turns` given to the last ``append(_:to:keeping:ttl:)``.
    /// - Throws: ``ConversationStoreError`` when the store cannot be read.
    func history(for key: ConversationKey) throws(ConversationStoreError) -> [ChatExchange]

    /// Remembers an exchange, keeps only the last `turns`, and forgets the conversation `ttl` from now.
    /// - Parameters:
    ///   - exchange: the user's text and the answer.
    ///   - key: the conversation.
    ///   - turns: how many exchanges to keep (at least 1).
    ///   - ttl: how long the conversation is kept after this exchange.
    /// - Throws: ``ConversationStoreError`` when the store cannot be written.
    func append(_ exchange: ChatExchange, to key: ConversationKey, keeping turns: Int, ttl: Duration) throws(ConversationStoreError)
}
