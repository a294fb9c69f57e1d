/// `image`: an image reply with the `media_id` template.
struct ImageAction: Action, Equatable {
    static let name = "image"
    static let keys = ["media_id"]

    /// `media_id`.
    var mediaID: MessageTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> ImageAction? {
        loader.required(table, "media_id", action: name, at: path).map(ImageAction.init)
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        .reply(.image(mediaID: mediaID.render(message.fields)))
    }
}

extension Action where Self == ImageAction {
    /// `image` with this `media_id` template.
    static func image(mediaID: MessageTemplate) -> ImageAction { ImageAction(mediaID: mediaID) }
}
