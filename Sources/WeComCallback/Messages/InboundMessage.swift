/// A decrypted inbound message or event (spec §8, §9) as typed values, plus a lossless field view.
///
/// The common header is typed; the rest is in ``payload``. Every leaf element is also available by
/// path in ``fields`` for routing and templates, whatever its type. Parsing never depends on CDATA
/// and tolerates whitespace around numbers and the spelling variants `AgentID`/`AgentId`,
/// `ItemUserId`/`ItemUserid` (spec §11). Unknown `MsgType`/`Event`/`ChangeType` values are not
/// errors. `Content` and other text keep XML-illegal control characters exactly as sent.
public struct InboundMessage: Sendable {
    /// `ToUserName`: the CorpID (check it against the configured one, spec §6.1).
    public var toUserName: String
    /// `FromUserName`: the sender's UserID (`sys` for system events).
    public var fromUserName: String
    /// `CreateTime`: Unix seconds.
    public var createTime: Int64
    /// `MsgType`, trimmed: `text`, `image`, …, `event`, or anything else.
    public var msgType: String
    /// `AgentID` (or `AgentId`): the application id; `nil` when absent or empty. May exceed 2^31.
    public var agentID: Int64?
    /// `MsgId`, trimmed, kept as text: it goes up to 2^64−1 (JSON numbers lose precision above 2^53).
    public var msgID: String?
    /// The typed content.
    public var payload: MessagePayload
    /// The lossless field view: every leaf element by its path → its text, untouched.
    ///
    /// Paths join element names with `/` (`SendLocationInfo/Label`). An element that repeats among
    /// its siblings, or is a list item by name (`item`, `Item`, `SelectedItem`, `OptionId`,
    /// `ApprovalNode`, `NotifyNode`), gets its 0-based index as an extra component
    /// (`SendPicsInfo/PicList/item/0/PicMd5Sum`). A value under a variant spelling is also
    /// available under the canonical one (`AgentId` → `AgentID`, `ItemUserid` → `ItemUserId`);
    /// the raw key stays too.
    ///
    /// Built from the document the message was parsed from on first use, then kept (most requests
    /// never read it); setting it replaces it. Changing ``root`` afterwards does not change it.
    public var fields: [String: String] {
        get { fieldView.fields }
        set { fieldView = FieldView(fields: newValue) }
    }
    /// The field view, built on demand.
    var fieldView: FieldView
    /// The parsed document (root element `xml`).
    public var root: XMLElement

    /// `Event` (trimmed) for events, else `nil`.
    public var event: String? { fieldView.rootLeaf("Event")?.trimmingASCIIWhitespace() }
    /// `EventKey` as sent, if any.
    public var eventKey: String? { fieldView.rootLeaf("EventKey") }

    /// Parses a decrypted plaintext.
    /// - Parameters:
    ///   - xml: the plaintext bytes (UTF-8 XML) from ``WXBizMsgCrypt``.
    ///   - limits: reader limits (default ``XMLReader/Limits/wecom``).
    /// - Throws: ``MessageError/xml(_:)`` for rejected XML, ``MessageError/missingField(_:)`` or
    ///   ``MessageError/invalidValue(field:value:)`` for a missing required field or a bad number.
    public init(xml: [UInt8], limits: XMLReader.Limits = .wecom) throws(MessageError) {
        let root: XMLElement
        do {
            root = try XMLReader(limits: limits).parse(xml)
        } catch {
            throw .xml(error)
        }
        try self.init(root: root)
    }

    /// Builds the typed message from a parsed document.
    /// - Parameter root: the root element (its name is not checked).
    /// - Throws: ``MessageError`` as ``init(xml:limits:)``.
    public init(root: XMLElement) throws(MessageError) {
        let r = FieldReader(root)
        self.root = root
        let fieldView = FieldView(root: root)
        self.fieldView = fieldView
        toUserName = try r.required("ToUserName")
        fromUserName = try r.required("FromUserName")
        createTime = try r.requiredInt64("CreateTime")
        guard let msgType = r.token("MsgType") else { throw .missingField("MsgType") }
        self.msgType = msgType
        agentID = try r.int64(either: "AgentID", "AgentId")
        msgID = r.token(either: "MsgId", "MsgID")
        switch msgType {
        case "text":
            payload = .text(content: try r.required("Content"))
        case "image":
            payload = .image(picURL: try r.required("PicUrl"), mediaID: try r.required("MediaId"))
        case "voice":
            payload = .voice(mediaID: try r.required("MediaId"), format: try r.required("Format"))
        case "video":
            payload = .video(mediaID: try r.required("MediaId"), thumbMediaID: try r.required("ThumbMediaId"))
        case "location":
            payload = .location(latitude: try r.requiredDouble("Location_X"), longitude: try r.requiredDouble("Location_Y"),
                                scale: try r.int("Scale"), label: try r.required("Label"), appType: r.string("AppType"))
        case "link":
            payload = .link(title: try r.required("Title"), description: try r.required("Description"),
                            url: try r.required("Url"), picURL: try r.required("PicUrl"))
        case "event":
            guard let event = r.token("Event") else { throw .missingField("Event") }
            payload = .event(try InboundEvent(event: event, r, fields: fieldView.fields))
        default:
            payload = .unknown(msgType: msgType, fields: fieldView.fields)
        }
    }
}

extension InboundMessage: Equatable {
    /// Messages are equal when header, payload and field view are equal. The element order inside
    /// ``root`` is not compared: the JSON form does not keep it.
    public static func == (lhs: InboundMessage, rhs: InboundMessage) -> Bool {
        lhs.toUserName == rhs.toUserName && lhs.fromUserName == rhs.fromUserName
            && lhs.createTime == rhs.createTime && lhs.msgType == rhs.msgType && lhs.agentID == rhs.agentID
            && lhs.msgID == rhs.msgID && lhs.payload == rhs.payload && lhs.fields == rhs.fields
    }
}
