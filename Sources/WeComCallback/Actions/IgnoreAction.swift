/// `ignore`: no reply (the message is still journaled).
struct IgnoreAction: Action, Equatable {
    static let name = "ignore"
    static let keys: [String] = []

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> IgnoreAction? {
        IgnoreAction()
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult { .noReply }
}

extension Action where Self == IgnoreAction {
    /// `ignore`.
    static var ignore: IgnoreAction { IgnoreAction() }
}
