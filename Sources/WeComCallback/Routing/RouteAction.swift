/// What a matching route does (`action = "…"` in the configuration). Every text field is a
/// ``MessageTemplate`` parsed at load time.
public enum RouteAction: Sendable, Equatable {
    /// `echo`: text → the same text; image/voice/video → the same `MediaId`; location → label and
    /// coordinates as text; link → title and URL as text; events and unknown types → no reply.
    case echo
    /// `text`: a text reply.
    case text(MessageTemplate)
    /// `image`: an image reply with this `media_id`.
    case image(mediaID: MessageTemplate)
    /// `voice`: a voice reply with this `media_id`.
    case voice(mediaID: MessageTemplate)
    /// `video`: a video reply; `title` and `description` are optional.
    case video(mediaID: MessageTemplate, title: MessageTemplate?, description: MessageTemplate?)
    /// `news`: 1–8 articles.
    case news([NewsArticleTemplate])
    /// `update_button`: grey the clicked template-card button and relabel it.
    case updateButton(replaceName: MessageTemplate)
    /// `ignore`: no reply.
    case ignore
    /// `exec`: run an external program (see ``ExecAction``).
    case exec(ExecAction)

    /// The action's name as written in the configuration (`echo`, `text`, …, `update_button`, `exec`).
    public var name: String {
        switch self {
        case .echo: return "echo"
        case .text: return "text"
        case .image: return "image"
        case .voice: return "voice"
        case .video: return "video"
        case .news: return "news"
        case .updateButton: return "update_button"
        case .ignore: return "ignore"
        case .exec: return "exec"
        }
    }

    /// Every action name the configuration accepts.
    public static let names = ["echo", "text", "image", "voice", "video", "news", "update_button", "ignore", "exec"]
}

/// One article of a `news` action; each field a template.
public struct NewsArticleTemplate: Sendable, Equatable {
    /// `title` (≤ 128 bytes are shown).
    public var title: MessageTemplate
    /// `description` (≤ 512 bytes are shown).
    public var description: MessageTemplate?
    /// `url`: where a tap leads.
    public var url: MessageTemplate?
    /// `picurl`: JPG/PNG; the first article's picture is shown large.
    public var picURL: MessageTemplate?

    /// Creates an article.
    /// - Parameters:
    ///   - title: the title template.
    ///   - description: the description template, if any.
    ///   - url: the link template, if any.
    ///   - picURL: the picture URL template, if any.
    public init(title: MessageTemplate, description: MessageTemplate? = nil, url: MessageTemplate? = nil, picURL: MessageTemplate? = nil) {
        self.title = title
        self.description = description
        self.url = url
        self.picURL = picURL
    }
}

/// What running an action produced.
enum ActionResult: Sendable, Equatable {
    /// Send this passive reply.
    case reply(PassiveReply)
    /// Answer with an empty body.
    case noReply
    /// A reply only the active send API can deliver (markdown, textcard …); `fallback` is the
    /// `on_error` reply for an app without active send.
    case activeOnly(ActiveOnlyReply, fallback: PassiveReply?)
    /// The action failed: log `reason` once; send `fallback` (the `on_error` reply) if there is one.
    case failed(reason: String, fallback: PassiveReply?)
}
