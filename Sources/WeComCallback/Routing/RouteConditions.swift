/// The conditions of one route; every condition that is set must hold. A route with none matches
/// every message.
public struct RouteConditions: Sendable, Equatable {
    /// `msg_type`: `MsgType` equals this (exact).
    public var msgType: String?
    /// `event`: `Event` equals this, ignoring case (WeCom sends `LOCATION` upper-case).
    public var event: String?
    /// `event_key`: `EventKey` equals this (exact).
    public var eventKey: String?
    /// `event_key_regex`: `EventKey` matches (search).
    public var eventKeyRegex: RoutePattern?
    /// `change_type`: `ChangeType` equals this (exact).
    public var changeType: String?
    /// `content_regex`: the text message's `Content` matches (search). Never holds for other types.
    public var contentRegex: RoutePattern?
    /// `from_user`: `FromUserName` is one of these UserIDs (exact).
    public var fromUser: [String]?
    /// `agent_id`: the message's `AgentID` equals this.
    public var agentID: Int64?

    /// Creates conditions; all `nil` matches everything.
    /// - Parameters: one per condition, see the properties.
    public init(msgType: String? = nil, event: String? = nil, eventKey: String? = nil, eventKeyRegex: RoutePattern? = nil,
                changeType: String? = nil, contentRegex: RoutePattern? = nil, fromUser: [String]? = nil, agentID: Int64? = nil) {
        self.msgType = msgType
        self.event = event
        self.eventKey = eventKey
        self.eventKeyRegex = eventKeyRegex
        self.changeType = changeType
        self.contentRegex = contentRegex
        self.fromUser = fromUser
        self.agentID = agentID
    }

    /// Whether every condition that is set holds for `message`.
    /// - Parameter message: the parsed message.
    /// - Returns: `true` when the route applies.
    public func matches(_ message: InboundMessage) -> Bool {
        if let msgType, message.msgType != msgType { return false }
        if let event {
            guard let actual = message.event, actual.lowercased() == event.lowercased() else { return false }
        }
        if let eventKey, message.eventKey != eventKey { return false }
        if let eventKeyRegex {
            guard let actual = message.eventKey, eventKeyRegex.matches(actual) else { return false }
        }
        if let changeType {
            guard message.fields["ChangeType"]?.trimmingASCIIWhitespace() == changeType else { return false }
        }
        if let contentRegex {
            guard case .text(let content) = message.payload, contentRegex.matches(content) else { return false }
        }
        if let fromUser, !fromUser.contains(message.fromUserName) { return false }
        if let agentID, message.agentID != agentID { return false }
        return true
    }
}
