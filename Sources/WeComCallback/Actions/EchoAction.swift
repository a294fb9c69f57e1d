/// `echo`: text → the same text; image/voice/video → the same `MediaId`; location → label and
/// coordinates as text; link → title and URL as text; events and unknown types → no reply.
struct EchoAction: Action, Equatable {
    static let name = "echo"
    static let keys: [String] = []

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> EchoAction? {
        EchoAction()
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        PassiveReply.echo(for: message).map(ActionResult.reply) ?? .noReply
    }
}

extension Action where Self == EchoAction {
    /// `echo`.
    static var echo: EchoAction { EchoAction() }
}
