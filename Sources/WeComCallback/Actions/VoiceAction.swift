/// `voice`: a voice reply with the `media_id` template.
struct VoiceAction: Action, Equatable {
    static let name = "voice"
    static let keys = ["media_id"]

    /// `media_id`.
    var mediaID: MessageTemplate

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> VoiceAction? {
        loader.required(table, "media_id", action: name, at: path).map(VoiceAction.init)
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        .reply(.voice(mediaID: mediaID.render(message.fields)))
    }
}

extension Action where Self == VoiceAction {
    /// `voice` with this `media_id` template.
    static func voice(mediaID: MessageTemplate) -> VoiceAction { VoiceAction(mediaID: mediaID) }
}
