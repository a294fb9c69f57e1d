/// A passive reply (被动回复, spec §10.1): only the types WeCom accepts in the HTTP response of an
/// app callback. `music`, `markdown`, `file`, `textcard`, `mpnews`, … (§10.2) are deliberately
/// absent; see ``ActiveOnlyReply`` for those.
public enum PassiveReply: Sendable, Equatable {
    /// `text`: `Content`, cut to 2048 bytes when rendered.
    case text(String)
    /// `image`: `Image/MediaId` (temporary media, valid 3 days).
    case image(mediaID: String)
    /// `voice`: `Voice/MediaId`.
    case voice(mediaID: String)
    /// `video`: `Video/MediaId`, optional `Title` (≤128 bytes) and `Description` (≤512 bytes).
    /// (Boxed: its three strings would make every reply, and every remembered delivery, 32 bytes larger.)
    indirect case video(mediaID: String, title: String?, description: String?)
    /// `news`: 1–8 articles.
    case news(NewsArticles)
    /// `update_button`: grey the clicked template-card button and relabel it `Button/ReplaceName`.
    case updateButton(replaceName: String)
    /// `update_template_card`: replace the clicked card for the clicking user.
    case updateTemplateCard(TemplateCard)
    /// `update_taskcard` (legacy task cards, answer to `taskcard_click`): `TaskCard/ReplaceName`.
    case updateTaskcard(replaceName: String)

    /// The `MsgType` value rendered for this reply.
    public var msgType: String {
        switch self {
        case .text: return "text"
        case .image: return "image"
        case .voice: return "voice"
        case .video: return "video"
        case .news: return "news"
        case .updateButton: return "update_button"
        case .updateTemplateCard: return "update_template_card"
        case .updateTaskcard: return "update_taskcard"
        }
    }

    /// Byte limits of spec §10.1 (UTF-8 bytes).
    public enum Limit {
        /// Text `Content`.
        public static let textContent = 2048
        /// Video and article `Title`.
        public static let title = 128
        /// Video and article `Description`.
        public static let description = 512
    }
}
