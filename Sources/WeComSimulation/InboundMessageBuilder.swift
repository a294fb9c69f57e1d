import Foundation
import WeComCallback

/// Renders realistic inbound plaintext XML (spec §8 messages and §9 events), the way WeCom sends it:
/// one element per line, free text in CDATA, numbers bare, `AgentID` last.
///
/// Every field has a realistic default taken from the documentation samples, so
/// `InboundMessageBuilder(msgType: "event", event: "click").render()` is already a valid click.
/// A value type with no side effects: the CLI (`simulate message`, `fixtures generate`) and tests
/// share it.
public struct InboundMessageBuilder: Sendable, Equatable {
    /// The ordinary message types of spec §8, in the spec's order.
    public static let messageTypes = ["text", "image", "voice", "video", "location", "link"]

    /// The events of spec §9, in the spec's order (`LOCATION` is the only upper-case one).
    public static let events = [
        "subscribe", "unsubscribe", "enter_agent", "LOCATION", "batch_job_result", "change_contact",
        "click", "view", "view_miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
        "pic_photo_or_album", "pic_weixin", "location_select", "open_approval_change", "taskcard_click",
        "template_card_event", "template_card_menu_event", "share_agent_change", "share_chain_change",
        "inactive_alert", "close_inactive_agent", "reopen_inactive_agent", "low_active_alert", "low_active",
        "active_restored",
    ]

    /// The `ChangeType` values of `change_contact` (spec §9).
    public static let changeTypes = [
        "create_user", "update_user", "delete_user", "create_party", "update_party", "delete_party", "update_tag",
    ]

    /// Events sent by the system rather than a member: `FromUserName` defaults to `sys`.
    static let systemEvents: Set<String> = [
        "batch_job_result", "change_contact", "open_approval_change", "inactive_alert", "close_inactive_agent",
        "reopen_inactive_agent", "low_active_alert", "low_active", "active_restored",
    ]

    /// `text`, `image`, `voice`, `video`, `location`, `link` or `event`.
    public var msgType: String
    /// The `Event` value when ``msgType`` is `event` (case-sensitive).
    public var event: String?
    /// `ChangeType` of `change_contact` (default `create_user`).
    public var changeType: String?

    // Header (spec §8 common fields).
    /// `ToUserName`: the corp id.
    public var toUserName: String
    /// `FromUserName`; `nil` means `sys` for system events and `zhangsan` otherwise.
    public var fromUserName: String?
    /// `CreateTime`, Unix seconds.
    public var createTime: Int64
    /// `AgentID` (omitted for `batch_job_result` and `change_contact`, spelled `AgentId` for `taskcard_click`).
    public var agentID = "1000002"
    /// `MsgId` of ordinary messages (decimal, up to 2^64−1).
    public var msgID = "7300000000000000100"

    // Message fields.
    /// `Content` of a text message.
    public var content = "hello from wecom-fcgi"
    /// `MediaId` of image, voice and video; `nil` means `media_<type>_1`.
    public var mediaID: String?
    /// `PicUrl` of image and link.
    public var picURL = "https://wework.qpic.cn/wwpic/1/0"
    /// `Format` of voice.
    public var format = "amr"
    /// `ThumbMediaId` of video.
    public var thumbMediaID = "media_thumb_1"
    /// `Title` of link.
    public var title = "企业微信"
    /// `Description` of link.
    public var description = "连接你的企业"
    /// `Url` of link.
    public var url = "https://work.weixin.qq.com/?from=wecom-fcgi&lang=zh_CN"
    /// `Location_X` (location, location_select) and `Latitude` (LOCATION), as text.
    public var latitude = "23.134521"
    /// `Location_Y` (location, location_select) and `Longitude` (LOCATION), as text.
    public var longitude = "113.358803"
    /// `Scale` (map zoom) of location and location_select.
    public var scale = "20"
    /// `Label` (address) of location and location_select.
    public var label = "广州市海珠区新港中路397号"
    /// `Precision` of LOCATION.
    public var precision = "65.000000"
    /// `AppType` of location, LOCATION and location_select.
    public var appType = "wxwork"

    // Event fields.
    /// `EventKey`; `nil` means a per-event default (menu key, URL, page path, or empty).
    public var eventKey: String?
    /// `ScanType` of scancode_*.
    public var scanType = "qrcode"
    /// `ScanResult` of scancode_*.
    public var scanResult = "https://work.weixin.qq.com/"
    /// `PicMd5Sum` of each picture of pic_*.
    public var picMD5Sums = ["1b5f7c23b5bf75682a53e7b6d163e185"]
    /// `Poiname` of location_select (may be empty).
    public var poiname = ""
    /// `TaskId` of taskcard_click and template_card_*.
    public var taskID = "taskid123"
    /// `CardType` of template_card_*.
    public var cardType = "button_interaction"
    /// `ResponseCode` of template_card_*.
    public var responseCode = "ResponseCode_abc"
    /// `JobId` of batch_job_result.
    public var jobID = "S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4"
    /// `JobType` of batch_job_result.
    public var jobType = "sync_user"
    /// `UserID` of change_contact user changes.
    public var userID = "zhangsan"
    /// `Name` of change_contact user and party changes.
    public var contactName = "张三"
    /// `Id` of change_contact party changes, `TagId` of update_tag.
    public var partyID = "2"
    /// `ThirdNo` of open_approval_change.
    public var thirdNo = "201806010001"
    /// `OpenSpStatus` of open_approval_change (1 in progress, 2 approved, 3 rejected, 4 cancelled).
    public var openSpStatus = "1"

    /// A builder with every other field at its default.
    /// - Parameters:
    ///   - msgType: `text`, `image`, `voice`, `video`, `location`, `link` or `event`.
    ///   - event: the `Event` for `event`.
    ///   - changeType: `ChangeType` for `change_contact`.
    ///   - toUserName: the corp id.
    ///   - createTime: Unix seconds.
    public init(
        msgType: String, event: String? = nil, changeType: String? = nil,
        toUserName: String = "ww1436e0e65a779aee", createTime: Int64 = 1_700_000_000
    ) {
        self.msgType = msgType
        self.event = event
        self.changeType = changeType
        self.toUserName = toUserName
        self.createTime = createTime
    }

    /// A short name: the message type, `event_<Event>`, or `event_change_contact_<ChangeType>`
    /// (the names of `Tests/WeComCallbackTests/Fixtures/messages`).
    public var name: String {
        guard msgType == "event" else { return msgType }
        let event = event ?? ""
        return event == "change_contact" ? "event_change_contact_\(changeType ?? "create_user")" : "event_\(event)"
    }

    /// One builder per message type, per event and per `change_contact` change type, in spec order.
    /// - Parameters:
    ///   - toUserName: the corp id.
    ///   - createTime: Unix seconds for all of them.
    /// - Returns: 6 messages, then the events (change_contact expanded into its 7 change types).
    public static func catalogue(toUserName: String, createTime: Int64) -> [InboundMessageBuilder] {
        var all = messageTypes.map { InboundMessageBuilder(msgType: $0, toUserName: toUserName, createTime: createTime) }
        for event in events {
            if event == "change_contact" {
                all += changeTypes.map {
                    InboundMessageBuilder(msgType: "event", event: event, changeType: $0, toUserName: toUserName, createTime: createTime)
                }
            } else {
                all.append(InboundMessageBuilder(msgType: "event", event: event, toUserName: toUserName, createTime: createTime))
            }
        }
        return all
    }

    /// What the echo action answers (``PassiveReply/echo(for:)``), computed independently from
    /// these fields so that tests can check a server against it.
    public enum ExpectedEcho: Sendable, Equatable {
        /// A text reply with this `Content`.
        case content(String)
        /// An image, voice or video reply with this `MediaId`.
        case mediaID(String)

        /// The `Content` or `MediaId` text.
        public var value: String {
            switch self {
            case .content(let text), .mediaID(let text): return text
            }
        }
    }

    /// The echo reply expected for this message: text → `Content`; image, voice, video → `MediaId`;
    /// location → `"<Label> (<Location_X>, <Location_Y>)"`; link → `"<Title>\n<Url>"`; `nil` for
    /// events (no reply).
    public var expectedEcho: ExpectedEcho? {
        switch msgType {
        case "text": return .content(content)
        case "image", "voice", "video": return .mediaID(resolvedMediaID)
        case "location": return .content("\(label) (\(Self.trimmed(latitude)), \(Self.trimmed(longitude)))")
        case "link": return .content(title + "\n" + url)
        default: return nil
        }
    }

    var resolvedMediaID: String { mediaID ?? "media_\(msgType)_1" }

    static func trimmed(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }

    /// Renders the plaintext XML.
    /// - Returns: `<xml>…</xml>`, UTF-8 text, one element per line.
    /// - Throws: ``SimulationError/unknownMessageType(_:)`` for a `MsgType` outside spec §8 and `event`;
    ///   ``SimulationError/missingEvent`` for an event without `Event`.
    public func render() throws(SimulationError) -> String {
        var out = Lines()

        let isEvent = msgType == "event"
        var from = fromUserName
        if from == nil { from = isEvent && Self.systemEvents.contains(event ?? "") ? "sys" : "zhangsan" }
        out.raw("<xml><ToUserName>\(XMLText.cdata(toUserName))</ToUserName>")
        out.text("FromUserName", from ?? "zhangsan")
        out.number("CreateTime", String(createTime))
        out.text("MsgType", msgType)

        switch msgType {
        case "text":
            out.text("Content", content)
        case "image":
            out.text("PicUrl", picURL)
            out.text("MediaId", resolvedMediaID)
        case "voice":
            out.text("MediaId", resolvedMediaID)
            out.text("Format", format)
        case "video":
            out.text("MediaId", resolvedMediaID)
            out.text("ThumbMediaId", thumbMediaID)
        case "location":
            out.number("Location_X", latitude)
            out.number("Location_Y", longitude)
            out.number("Scale", scale)
            out.text("Label", label)
            out.text("AppType", appType)
        case "link":
            out.text("Title", title)
            out.text("Description", description)
            out.text("Url", url)
            out.text("PicUrl", picURL)
        case "event":
            guard let event, !event.isEmpty else { throw .missingEvent }
            out.text("Event", event)
            renderEvent(event, into: &out)
        default:
            throw .unknownMessageType(msgType)
        }

        if !isEvent { out.number("MsgId", msgID) }
        switch isEvent ? event ?? "" : "" {
        case "batch_job_result", "change_contact": break  // no AgentID in the doc samples
        case "taskcard_click": out.number("AgentId", agentID)  // the doc sample's spelling
        default: out.number("AgentID", agentID)
        }
        out.raw("</xml>")
        return out.lines.joined(separator: "\n")
    }

    /// The `EventKey` default for a menu or card event.
    func defaultEventKey(_ event: String) -> String? {
        switch event {
        case "subscribe", "unsubscribe", "enter_agent", "share_agent_change", "share_chain_change": return ""
        case "click": return "MENU_KEY_1"
        case "view": return "https://work.weixin.qq.com/"
        case "view_miniprogram": return "pages/index/index"
        case "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
            "location_select":
            return "menu_key_6"
        case "taskcard_click", "template_card_event": return "button_key_1"
        case "template_card_menu_event": return "menu_key_1"
        default: return nil
        }
    }

    private func renderEvent(_ event: String, into out: inout Lines) {
        if let key = eventKey ?? defaultEventKey(event) { out.text("EventKey", key) }
        switch event {
        case "LOCATION":
            out.number("Latitude", latitude)
            out.number("Longitude", longitude)
            out.number("Precision", precision)
            out.text("AppType", appType)
        case "batch_job_result":
            out.raw("<BatchJob><JobId>\(XMLText.cdata(jobID))</JobId><JobType>\(XMLText.cdata(jobType))</JobType>"
                + "<ErrCode>0</ErrCode><ErrMsg>\(XMLText.cdata("ok"))</ErrMsg></BatchJob>")
        case "change_contact":
            renderContactChange(into: &out)
        case "scancode_push", "scancode_waitmsg":
            out.raw("<ScanCodeInfo><ScanType>\(XMLText.cdata(scanType))</ScanType>")
            out.raw("<ScanResult>\(XMLText.cdata(scanResult))</ScanResult>")
            out.raw("</ScanCodeInfo>")
        case "pic_sysphoto", "pic_photo_or_album", "pic_weixin":
            out.raw("<SendPicsInfo><Count>\(picMD5Sums.count)</Count>")
            out.raw("<PicList>" + picMD5Sums.map { "<item><PicMd5Sum>\(XMLText.cdata($0))</PicMd5Sum>\n</item>" }.joined())
            out.raw("</PicList>")
            out.raw("</SendPicsInfo>")
        case "location_select":
            out.raw("<SendLocationInfo><Location_X>\(XMLText.cdata(latitude))</Location_X>")
            out.text("Location_Y", longitude)
            out.text("Scale", scale)
            out.text("Label", label)
            out.text("Poiname", poiname)
            out.raw("</SendLocationInfo>")
            out.text("AppType", appType)
        case "open_approval_change":
            renderApproval(into: &out)
        case "taskcard_click":
            out.text("TaskId", taskID)
        case "template_card_event", "template_card_menu_event":
            out.text("TaskId", taskID)
            out.text("CardType", cardType)
            out.text("ResponseCode", responseCode)
        case "inactive_alert":
            out.number("EffectTime", String(createTime + 7 * 86_400))
        default:
            break
        }
    }

    private func renderContactChange(into out: inout Lines) {
        let change = changeType ?? "create_user"
        out.text("ChangeType", change)
        switch change {
        case "create_user":
            out.text("UserID", userID)
            out.text("Name", contactName)
            out.text("Department", "1,2")
            out.text("MainDepartment", "1")
            out.text("IsLeaderInDept", "1,0")
            out.text("Position", "产品经理")
            out.text("Mobile", "13800000000")
            out.number("Gender", "1")
            out.text("Email", "\(userID)@example.com")
            out.number("Status", "1")
            out.text("Alias", "jackzhang")
        case "update_user":
            out.text("UserID", userID)
            out.text("NewUserID", userID + "001")
            out.text("Position", "高级产品经理")
        case "delete_user":
            out.text("UserID", userID)
        case "create_party":
            out.number("Id", partyID)
            out.text("Name", contactName)
            out.text("ParentId", "1")
            out.number("Order", "1")
        case "update_party":
            out.number("Id", partyID)
            out.text("Name", contactName)
        case "delete_party":
            out.number("Id", partyID)
        case "update_tag":
            out.number("TagId", partyID)
            out.text("AddUserItems", "\(userID),lisi")
            out.text("DelUserItems", "wangwu")
            out.text("AddPartyItems", "1,2")
            out.text("DelPartyItems", "3")
        default:
            out.text("UserID", userID)
        }
    }

    private func renderApproval(into out: inout Lines) {
        // The doc sample uses no CDATA at all (spec §9); neither do we.
        out.raw("<ApprovalInfo>")
        out.raw("<ThirdNo>\(Self.escaped(thirdNo))</ThirdNo>")
        out.raw("<OpenSpName>付款</OpenSpName>")
        out.raw("<OpenTemplateId>1234567890</OpenTemplateId>")
        out.raw("<OpenSpStatus>\(Self.escaped(openSpStatus))</OpenSpStatus>")
        out.raw("<ApplyTime>\(createTime)</ApplyTime>")
        out.raw("<ApplyUserName>xiaoming</ApplyUserName>")
        out.raw("<ApplyUserId>1</ApplyUserId>")
        out.raw("<ApplyUserParty>产品部</ApplyUserParty>")
        out.raw("<ApplyUserImage>http://www.qq.com/xxx.png</ApplyUserImage>")
        out.raw("<ApprovalNodes>")
        out.raw("<ApprovalNode>")
        out.raw("<NodeStatus>1</NodeStatus>")
        out.raw("<NodeAttr>1</NodeAttr>")
        out.raw("<NodeType>1</NodeType>")
        out.raw("<Items>")
        out.raw("<Item>")
        out.raw("<ItemName>xiaohong</ItemName>")
        out.raw("<ItemUserId>2</ItemUserId>")
        out.raw("<ItemImage>http://www.qq.com/xxx.png</ItemImage>")
        out.raw("<ItemStatus>1</ItemStatus>")
        out.raw("<ItemSpeech></ItemSpeech>")
        out.raw("<ItemOpTime>0</ItemOpTime>")
        out.raw("</Item>")
        out.raw("</Items>")
        out.raw("</ApprovalNode>")
        out.raw("</ApprovalNodes>")
        out.raw("<NotifyNodes>")
        out.raw("<NotifyNode>")
        out.raw("<ItemName>xiaogang</ItemName>")
        out.raw("<ItemUserId>3</ItemUserId>")
        out.raw("<ItemImage>http://www.qq.com/xxx.png</ItemImage>")
        out.raw("</NotifyNode>")
        out.raw("</NotifyNodes>")
        out.raw("<approverstep>0</approverstep>")
        out.raw("</ApprovalInfo>")
    }

    /// `&`, `<` and `>` escaped, for the few values written without CDATA.
    static func escaped(_ text: String) -> String {
        XMLText.removingIllegal(text).replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The XML being rendered, one line per element.
    struct Lines {
        var lines: [String] = []

        /// `<element><![CDATA[value]]></element>`.
        mutating func text(_ element: String, _ value: String) {
            lines.append("<\(element)>\(XMLText.cdata(value))</\(element)>")
        }

        /// `<element>value</element>`, for numbers (escaped in case a flag carried something else).
        mutating func number(_ element: String, _ value: String) {
            lines.append("<\(element)>\(InboundMessageBuilder.escaped(value))</\(element)>")
        }

        /// A line as given.
        mutating func raw(_ line: String) {
            lines.append(line)
        }
    }
}
