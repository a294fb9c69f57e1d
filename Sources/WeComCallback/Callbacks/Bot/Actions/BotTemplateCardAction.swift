/// `template_card`: `card = { … }` (strings templated) as the reply to `enter_chat` or a message:
/// `{"msgtype":"template_card","template_card":{…}}`. Other events get no reply.
struct BotTemplateCardAction: BotAction {
    static let name = "template_card"
    static let keys = ["card"]
    var card: CardTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotTemplateCardAction? {
        CardTemplate.load(table, action: name, at: path, loader: &loader).map(BotTemplateCardAction.init)
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult {
        guard message.eventType == "enter_chat" || message.isUserMessage else { return .none }
        return .reply(.object(["msgtype": .string("template_card"), "template_card": card.render(message.fields)]))
    }
}
