/// `video`: a video reply; `media_id` required, `title` and `description` optional (all templates).
struct VideoAction: Action, Equatable {
    static let name = "video"
    static let keys = ["media_id", "title", "description"]

    /// `media_id`.
    var mediaID: MessageTemplate
    /// `title`.
    var title: MessageTemplate?
    /// `description`.
    var description: MessageTemplate?

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> VideoAction? {
        let mediaID = loader.required(table, "media_id", action: name, at: path)
        let title = loader.template(table, "title", at: path)
        let description = loader.template(table, "description", at: path)
        return mediaID.map { VideoAction(mediaID: $0, title: title, description: description) }
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        let fields = message.fields
        return .reply(.video(mediaID: mediaID.render(fields), title: title?.render(fields), description: description?.render(fields)))
    }
}

extension Action where Self == VideoAction {
    /// `video` with these templates.
    static func video(mediaID: MessageTemplate, title: MessageTemplate?, description: MessageTemplate?) -> VideoAction {
        VideoAction(mediaID: mediaID, title: title, description: description)
    }
}
