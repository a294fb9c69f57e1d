/// The keys of `[[bot]]` and `[[bot.route]]`.
extension ConfigSchema {
    /// Secrets a bot needs (no corp id: its receiveid is "").
    static let botSecrets = ["token", "encoding_aes_key"]
    static let bot = ["name", "path"] + botSecrets.flatMap { [$0, $0 + "_env", $0 + "_file"] } + ["aibot_id", "journal", "route"]
    static let botConditions = ["msg_type", "event", "event_key", "event_key_regex", "content_regex", "chat_type", "from_user", "chat_id"]
    /// Derived from the registered bot actions.
    static var botRoute: [String] { botConditions + ["action"] + BotActionRegistry.allKeys }
    /// The `msg_type` values a bot route takes.
    static let botMessageTypes = ["text", "image", "mixed", "voice", "file", "event"]
    /// The `eventtype`s the spec names (others get a warning).
    static let botEvents = ["enter_chat", "template_card_event", "feedback_event"]
}
