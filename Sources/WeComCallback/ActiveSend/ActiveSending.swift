/// Delivery through WeCom's active send API (`message/send`) for what a passive reply cannot carry:
/// a reply that missed the reply budget, a reply type passive replies do not support (markdown,
/// textcard, file …), and text longer than the passive limit of 2048 bytes.
public protocol ActiveSending: Sendable {
    /// Queues one message for delivery; never blocks on the network.
    /// - Parameter message: recipient, agent and content.
    /// - Returns: `false` when the bounded queue is full and the message was dropped (logged).
    @discardableResult
    func enqueue(_ message: ActiveMessage) -> Bool
}

/// One message for `message/send`.
public struct ActiveMessage: Sendable, Equatable {
    /// `touser`: the member's UserID (the inbound message's `FromUserName`).
    public var toUser: String
    /// `agentid`: the application id.
    public var agentID: Int64
    /// What to send.
    public var content: ActiveContent

    public init(toUser: String, agentID: Int64, content: ActiveContent) {
        self.toUser = toUser
        self.agentID = agentID
        self.content = content
    }
}

/// The content of an ``ActiveMessage``.
public enum ActiveContent: Sendable, Equatable {
    /// A reply built for a passive answer (text, image, voice, video, news); text is sent in full,
    /// split at character boundaries into messages of at most 2048 bytes.
    case reply(PassiveReply)
    /// A send-API-only reply from an exec program (markdown, textcard, file …), sent as given.
    case activeOnly(ActiveOnlyReply)
}
