/// `update_card`: for a `template_card_event`, `card = { … }` sent as `update_template_card` to the
/// clicking user (spec `wecom-aibot.md` §4); anything else gets no reply.
struct BotUpdateCardAction: BotAction {
    static let name = "update_card"
    static let keys = ["card"]
    var card: CardTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotUpdateCardAction? {
        CardTemplate.load(table, action: name, at: path, loader: &loader).map(BotUpdateCardAction.init)
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult {
        guard message.eventType == "template_card_event", !message.fromUserID.isEmpty else { return .none }
        return .reply(.object([
            "response_type": .string("update_template_card"),
            "userids": .array([.string(message.fromUserID)]),
            "template_card": card.render(message.fields),
        ]))
    }
}
