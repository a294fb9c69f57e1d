/// The conditions of one `[[bot.route]]`: every condition given must hold (spec `wecom-aibot.md` §2–§3).
public struct BotRouteConditions: Sendable, Equatable {
    /// `msg_type`: text, image, mixed, voice, file or event.
    public var msgType: String?
    /// `event`: the `eventtype` (enter_chat, template_card_event, feedback_event …).
    public var event: String?
    /// `event_key`: a card event's `event_key`, exactly.
    public var eventKey: String?
    /// `event_key_regex`: a card event's `event_key`, by regular expression.
    public var eventKeyRegex: RoutePattern?
    /// `content_regex`: text and voice content, and the text items of mixed (any item matching).
    public var contentRegex: RoutePattern?
    /// `chat_type`: single or group.
    public var chatType: String?
    /// `from_user`: the sender's userid is one of these.
    public var fromUser: [String]?
    /// `chat_id`: the group's chatid is one of these.
    public var chatID: [String]?

    public init() {}

    /// Whether a message meets every condition given.
    public func matches(_ message: BotMessage) -> Bool {
        if let msgType, message.msgType != msgType { return false }
        if let event, message.eventType != event { return false }
        if let eventKey, message.eventKey != eventKey { return false }
        if let eventKeyRegex, !(message.eventKey.map(eventKeyRegex.matches) ?? false) { return false }
        if let contentRegex, !message.contents.contains(where: contentRegex.matches) { return false }
        if let chatType, message.chatType != chatType { return false }
        if let fromUser, !fromUser.contains(message.fromUserID) { return false }
        if let chatID, !(message.chatID.map(chatID.contains) ?? false) { return false }
        return true
    }
}

/// One `[[bot.route]]`: conditions and the action they lead to.
public struct BotRoute: Sendable {
    /// Position in the bot's route list (0-based), for logs and the journal.
    public var index: Int
    public var conditions: BotRouteConditions
    var action: any BotAction

    init(index: Int, conditions: BotRouteConditions = BotRouteConditions(), action: any BotAction) {
        self.index = index
        self.conditions = conditions
        self.action = action
    }
}

/// The first route whose conditions hold wins.
public struct BotRouter: Sendable {
    public var routes: [BotRoute]

    public init(routes: [BotRoute]) { self.routes = routes }

    /// The route for a message, or `nil` (no reply).
    public func route(for message: BotMessage) -> BotRoute? {
        routes.first { $0.conditions.matches(message) }
    }
}
