/// `text`: a text reply; `text` is a template over the message's fields.
struct TextAction: Action, Equatable {
    static let name = "text"
    static let keys = ["text"]

    /// `text`.
    var text: MessageTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> TextAction? {
        loader.required(table, "text", action: name, at: path).map(TextAction.init)
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        .reply(.text(text.render(message.fields)))
    }
}

extension Action where Self == TextAction {
    /// `text` with this template.
    static func text(_ template: MessageTemplate) -> TextAction { TextAction(text: template) }
}
