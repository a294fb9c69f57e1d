/// `update_button`: grey the clicked template-card button and relabel it with `replace_name`.
struct UpdateButtonAction: Action, Equatable {
    static let name = "update_button"
    static let keys = ["replace_name"]

    /// `replace_name`.
    var replaceName: MessageTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> UpdateButtonAction? {
        loader.required(table, "replace_name", action: name, at: path).map(UpdateButtonAction.init)
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        .reply(.updateButton(replaceName: replaceName.render(message.fields)))
    }
}

extension Action where Self == UpdateButtonAction {
    /// `update_button` with this label template.
    static func updateButton(replaceName: MessageTemplate) -> UpdateButtonAction { UpdateButtonAction(replaceName: replaceName) }
}
