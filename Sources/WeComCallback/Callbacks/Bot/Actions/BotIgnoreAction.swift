/// `ignore`: an empty reply.
struct BotIgnoreAction: BotAction {
    static let name = "ignore"
    static let keys: [String] = []

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotIgnoreAction? {
        BotIgnoreAction()
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult { .none }
}
