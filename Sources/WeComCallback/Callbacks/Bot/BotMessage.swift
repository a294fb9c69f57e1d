/// One decrypted AI bot callback (spec `wecom-aibot.md` §2–§3): the JSON object and the fields the
/// pipeline reads from it, by their protocol names.
public struct BotMessage: Sendable, Equatable {
    /// The whole decrypted object (templates and programs see all of it).
    public var json: JSONValue
    /// The decrypted bytes as received (the program's stdin, the journal line).
    public var plaintext: [UInt8]
    /// `msgtype`: text, image, mixed, voice, file, stream, event, or one we do not know.
    public var msgType: String
    /// `msgid`: unique per callback (dedup key).
    public var msgID: String?
    /// `aibotid`.
    public var aibotID: String?
    /// `chatid` (group chats only).
    public var chatID: String?
    /// `chattype`: `single` or `group`.
    public var chatType: String?
    /// `from.userid`.
    public var fromUserID: String
    /// `response_url`: where a later reply may go once (§5).
    public var responseURL: String?
    /// `event.eventtype` for `msgtype = "event"`.
    public var eventType: String?
    /// `stream.id` for a stream refresh.
    public var streamID: String?

    /// The message types a user sends (the ones a stream answers).
    public static let userMessageTypes: Set<String> = ["text", "image", "mixed", "voice", "file"]
    /// Every `msgtype` the pipeline knows (`msg_type` route values).
    public static let knownTypes = ["text", "image", "mixed", "voice", "file", "event", "stream"]

    /// Reads a decrypted plaintext with the hardened reader.
    /// - Parameter plaintext: the decrypted `msg` bytes.
    /// - Throws: ``BotJSON/ParseError`` when it is not a JSON object within the limits, or has no string `msgtype`.
    public init(parsing plaintext: [UInt8]) throws(BotJSON.ParseError) {
        let object = try BotJSON.parseObject(plaintext)
        let json = JSONValue.object(object)
        guard let msgType = object["msgtype"]?.stringValue, !msgType.isEmpty else {
            throw BotJSON.ParseError(reason: "no msgtype")
        }
        self.json = json
        self.plaintext = plaintext
        self.msgType = msgType
        msgID = object["msgid"]?.stringValue
        aibotID = object["aibotid"]?.stringValue
        chatID = object["chatid"]?.stringValue
        chatType = object["chattype"]?.stringValue
        fromUserID = json.value(at: "from/userid")?.stringValue ?? ""
        responseURL = object["response_url"]?.stringValue
        eventType = msgType == "event" ? json.value(at: "event/eventtype")?.stringValue : nil
        streamID = msgType == "stream" ? json.value(at: "stream/id")?.stringValue : nil
    }

    /// The user's words: `text.content`, `voice.content`, or the text items of `mixed` (empty otherwise).
    public var contents: [String] {
        switch msgType {
        case "text": return json.value(at: "text/content")?.stringValue.map { [$0] } ?? []
        case "voice": return json.value(at: "voice/content")?.stringValue.map { [$0] } ?? []
        case "mixed":
            guard case .array(let items)? = json.value(at: "mixed/msg_item") else { return [] }
            return items.compactMap { $0["msgtype"]?.stringValue == "text" ? $0.value(at: "text/content")?.stringValue : nil }
        default: return []
        }
    }

    /// A card event's `event_key` (`event.template_card_event.event_key`).
    public var eventKey: String? {
        guard let eventType else { return nil }
        return json.value(at: "event/\(eventType)/event_key")?.stringValue
    }

    /// The template view (`{{text.content}}`, `{{from.userid}}`).
    public var fields: [String: String] { json.fields }

    /// `msgtype`, or `event/<eventtype>`: for the request log line.
    public var summary: String { eventType.map { "event/\($0)" } ?? msgType }

    /// Whether the message is one a user typed (it is answered with a stream).
    public var isUserMessage: Bool { Self.userMessageTypes.contains(msgType) }
}
