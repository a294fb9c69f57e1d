/// `echo`: text and voice content come back as one finished stream; anything else gets no reply.
struct BotEchoAction: BotAction {
    static let name = "echo"
    static let keys: [String] = []

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotEchoAction? {
        BotEchoAction()
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult {
        guard message.msgType == "text" || message.msgType == "voice", let content = message.contents.first else { return .none }
        return .finishedStream(content)
    }
}
