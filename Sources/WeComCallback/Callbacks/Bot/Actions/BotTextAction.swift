/// `text`: the welcome text for `enter_chat`; for a message, the text as one finished stream (a
/// message cannot get a plain text reply, spec `wecom-aibot.md` §4). Other events get no reply.
struct BotTextAction: BotAction {
    static let name = "text"
    static let keys = ["text"]
    var text: MessageTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotTextAction? {
        loader.required(table, "text", action: name, at: path).map(BotTextAction.init)
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult {
        let content = text.render(message.fields)
        if message.eventType == "enter_chat" {
            return .reply(.object(["msgtype": .string("text"), "text": .object(["content": .string(content)])]))
        }
        return message.isUserMessage ? .finishedStream(content) : .none
    }
}
