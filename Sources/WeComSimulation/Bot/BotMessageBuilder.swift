import WeComCallback

/// Builds the decrypted JSON of an AI bot callback (wecom-aibot.md §2 messages, §3 events, §4 stream
/// refreshes) the way WeCom sends it.
///
/// Every field has a realistic default, so `BotMessageBuilder(msgType: "text").render()` is already a
/// valid single-chat text message. A value type with no side effects: the CLI (`simulate bot message`,
/// `fixtures generate`) and the tests share it. The output is made with `JSONEncoder` (sorted keys), never
/// by pasting text together.
public struct BotMessageBuilder: Sendable, Equatable {
    /// The user message types of §2, in the spec's order.
    public static let messageTypes = ["text", "image", "mixed", "voice", "file"]
    /// The events of §3.
    public static let eventTypes = ["enter_chat", "template_card_event", "feedback_event"]
    /// Message types that only come from single chats (§2).
    public static let singleChatOnly: Set<String> = ["image", "voice", "file"]
    /// The chatid used for group chats when none is given.
    public static let defaultChatID = "wrkSFfCgAAtMQKg4xqDatM5C8F2dQ9dA"

    /// One element of a `mixed` message's `msg_item` (§2).
    public enum MixedItem: Sendable, Equatable {
        /// `{"msgtype":"text","text":{"content":…}}`.
        case text(String)
        /// `{"msgtype":"image","image":{"url":…}}`.
        case image(url: String)
    }

    /// One answered question of a card event: `{question_key, option_ids: {option_id: […]}}` (§3).
    public struct SelectedItem: Sendable, Equatable {
        public var questionKey: String
        public var optionIDs: [String]
        public init(questionKey: String, optionIDs: [String]) {
            self.questionKey = questionKey
            self.optionIDs = optionIDs
        }
    }

    /// `text`, `image`, `mixed`, `voice`, `file`, `event` or `stream` (a refresh). Any other value is
    /// rendered with an empty object as payload, for testing how a server treats unknown types.
    public var msgType: String
    /// `event.eventtype` when ``msgType`` is `event`.
    public var eventType: String?

    /// `msgid`: unique per callback.
    public var msgID = "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI="
    /// `aibotid`.
    public var aibotID = "aibYmGQvJ1aU0eP2OdmUEtJRgT2W4bXlJd"
    /// `chattype`: `single` or `group`.
    public var chatType = "single"
    /// `chatid` (group chats only); `nil` in a group means ``defaultChatID``.
    public var chatID: String?
    /// `from.userid`.
    public var fromUserID = "zhangsan"
    /// `from.corpid` (sent with some events); `nil` omits it.
    public var fromCorpID: String?
    /// `response_url` of messages and card events (§5); `nil` omits it.
    public var responseURL: String? = "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=RESPONSE_CODE_1"
    /// `create_time` of events, Unix seconds.
    public var createTime: Int64 = 1_700_000_000

    /// `text.content` of text and `voice.content` of voice (already transcribed); the first text item of
    /// the default `mixed` message.
    public var content = "你好，介绍一下你自己"
    /// `image.url` of image (encrypted bytes, §1); the image item of the default `mixed` message.
    public var imageURL = "https://ww-aibot-img-1258476243.cos.ap-guangzhou.myqcloud.com/BHoPdA3/7571665296904772241?sign=example"
    /// `file.url` of file.
    public var fileURL = "https://ww-aibot-file-1258476243.cos.ap-guangzhou.myqcloud.com/BHoPdA3/7571665296904772242?sign=example"
    /// `mixed.msg_item`; `nil` means text ``content`` then image ``imageURL``.
    public var mixedItems: [MixedItem]?
    /// A quoted text message (`quote: {msgtype: text, text: {content}}`); `nil` omits `quote`.
    public var quoteText: String?

    /// `stream.id` of a refresh (``msgType`` `stream`).
    public var streamID: String?

    /// `template_card_event.card_type`.
    public var cardType = "button_interaction"
    /// `template_card_event.event_key`.
    public var eventKey = "button_confirm"
    /// `template_card_event.task_id`.
    public var taskID = "task_wecom_fcgi_1"
    /// `template_card_event.selected_items.selected_item`; empty omits `selected_items`.
    public var selectedItems: [SelectedItem] = []

    /// `feedback_event.id` (the `feedback.id` the server chose).
    public var feedbackID = "feedback_wecom_fcgi_1"
    /// `feedback_event.type`: 1 accurate, 2 inaccurate, 3 cancel.
    public var feedbackType = 1
    /// `feedback_event.content`; `nil` omits it.
    public var feedbackContent: String?
    /// `feedback_event.inaccurate_reason_list`; empty omits it.
    public var inaccurateReasons: [Int] = []

    /// A builder with every other field at its default.
    /// - Parameters:
    ///   - msgType: see ``msgType``.
    ///   - eventType: the eventtype for `event`.
    public init(msgType: String, eventType: String? = nil) {
        self.msgType = msgType
        self.eventType = eventType
    }

    /// A stream refresh (§2 `stream`, §4) for `streamID`, sent by the same bot, user and chat as `message`.
    /// - Parameters:
    ///   - message: the user's message that got the stream.
    ///   - streamID: the id from the first reply.
    ///   - msgID: the refresh's own, fresh msgid.
    public static func refresh(of message: BotMessageBuilder, streamID: String, msgID: String) -> BotMessageBuilder {
        var refresh = BotMessageBuilder(msgType: "stream")
        refresh.msgID = msgID
        refresh.aibotID = message.aibotID
        refresh.chatType = message.chatType
        refresh.chatID = message.chatID
        refresh.fromUserID = message.fromUserID
        refresh.fromCorpID = message.fromCorpID
        refresh.streamID = streamID
        return refresh
    }

    /// A short name: the msgtype, `event_<eventtype>`, or `<msgtype>_group` in a group chat.
    public var name: String {
        let base = msgType == "event" ? "event_\(eventType ?? "")" : msgType
        return chatType == "group" ? base + "_group" : base
    }

    /// What kind of callback this is, for the reply rules (``BotReplyRules``).
    public var inboundKind: BotInboundKind {
        switch msgType {
        case _ where Self.messageTypes.contains(msgType): return .message
        case "stream": return .streamRefresh(id: streamID ?? "")
        case "event":
            switch eventType {
            case "enter_chat": return .enterChat
            case "template_card_event": return .templateCardEvent
            case "feedback_event": return .feedbackEvent
            default: return .unknown
            }
        default: return .unknown
        }
    }

    /// The message as a JSON tree.
    /// - Throws: ``SimulationError/invalidBotMessage(_:)`` for a chattype other than single/group, a chatid
    ///   in a single chat, an image/voice/file message in a group (§2: single chat only), an event without
    ///   eventtype or a refresh without stream id.
    public func json() throws(SimulationError) -> JSONValue {
        guard chatType == "single" || chatType == "group" else {
            throw .invalidBotMessage("chattype must be single or group, not \"\(chatType)\"")
        }
        if chatType == "single", chatID != nil { throw .invalidBotMessage("a chatid belongs to group chats only") }
        if chatType == "group", Self.singleChatOnly.contains(msgType) {
            throw .invalidBotMessage("\(msgType) messages come from single chats only (spec §2)")
        }
        var from: [String: JSONValue] = ["userid": .string(fromUserID)]
        if let fromCorpID { from["corpid"] = .string(fromCorpID) }
        var root: [String: JSONValue] = [
            "msgid": .string(msgID), "aibotid": .string(aibotID), "chattype": .string(chatType),
            "from": .object(from), "msgtype": .string(msgType),
        ]
        if chatType == "group" { root["chatid"] = .string(chatID ?? Self.defaultChatID) }

        func text(_ content: String) -> JSONValue { .object(["content": .string(content)]) }
        func url(_ url: String) -> JSONValue { .object(["url": .string(url)]) }
        var carriesResponseURL = true
        switch msgType {
        case "text": root["text"] = text(content)
        case "voice": root["voice"] = text(content)
        case "image": root["image"] = url(imageURL)
        case "file": root["file"] = url(fileURL)
        case "mixed":
            let items = (mixedItems ?? [.text(content), .image(url: imageURL)]).map { item -> JSONValue in
                switch item {
                case .text(let content): return .object(["msgtype": .string("text"), "text": text(content)])
                case .image(let address): return .object(["msgtype": .string("image"), "image": url(address)])
                }
            }
            root["mixed"] = .object(["msg_item": .array(items)])
        case "stream":
            guard let streamID, !streamID.isEmpty else { throw .invalidBotMessage("a stream refresh needs a stream id") }
            root["stream"] = .object(["id": .string(streamID)])
            carriesResponseURL = false
        case "event":
            guard let eventType, !eventType.isEmpty else { throw .invalidBotMessage("an event needs an eventtype") }
            root["create_time"] = .int(createTime)
            var event: [String: JSONValue] = ["eventtype": .string(eventType)]
            switch eventType {
            case "template_card_event":
                var card: [String: JSONValue] = [
                    "card_type": .string(cardType), "event_key": .string(eventKey), "task_id": .string(taskID),
                ]
                if !selectedItems.isEmpty {
                    card["selected_items"] = .object(["selected_item": .array(selectedItems.map {
                        .object([
                            "question_key": .string($0.questionKey),
                            "option_ids": .object(["option_id": .array($0.optionIDs.map(JSONValue.string))]),
                        ])
                    })])
                }
                event[eventType] = .object(card)
            case "feedback_event":
                var feedback: [String: JSONValue] = ["id": .string(feedbackID), "type": .int(Int64(feedbackType))]
                if let feedbackContent { feedback["content"] = .string(feedbackContent) }
                if !inaccurateReasons.isEmpty {
                    feedback["inaccurate_reason_list"] = .array(inaccurateReasons.map { .int(Int64($0)) })
                }
                event[eventType] = .object(feedback)
                carriesResponseURL = false
            case "enter_chat":
                carriesResponseURL = false
            default:
                event[eventType] = .object([:])
                carriesResponseURL = false
            }
            root["event"] = .object(event)
        default:
            root[msgType] = .object([:])
        }
        if let quoteText, Self.messageTypes.contains(msgType) {
            root["quote"] = .object(["msgtype": .string("text"), "text": text(quoteText)])
        }
        if carriesResponseURL, let responseURL { root["response_url"] = .string(responseURL) }
        return .object(root)
    }

    /// The message as compact UTF-8 JSON (sorted keys), ready to encrypt.
    /// - Throws: as ``json()``.
    public func render() throws(SimulationError) -> [UInt8] {
        try json().encoded()
    }

    /// One builder per message type of §2 and per event of §3, in spec order, plus a text message in a
    /// group chat.
    public static func catalogue() -> [BotMessageBuilder] {
        var all = messageTypes.map { BotMessageBuilder(msgType: $0) }
        var group = BotMessageBuilder(msgType: "text")
        group.chatType = "group"
        group.content = "@智能助手 今天的会议几点开始？"
        all.append(group)
        all += eventTypes.map { BotMessageBuilder(msgType: "event", eventType: $0) }
        return all
    }
}

/// What a bot callback is, as far as the allowed replies go (wecom-aibot.md §3–§4).
public enum BotInboundKind: Sendable, Equatable {
    /// A user message (text, image, mixed, voice, file): empty, stream, template_card or
    /// stream_with_template_card.
    case message
    /// `enter_chat`: empty, text (welcome) or template_card.
    case enterChat
    /// `template_card_event`: empty or update_template_card.
    case templateCardEvent
    /// `feedback_event`: empty only.
    case feedbackEvent
    /// A stream refresh for `id`: a stream with that id.
    case streamRefresh(id: String)
    /// An unknown msgtype or eventtype: empty only.
    case unknown
}

extension BotInboundKind {
    /// The kind of a decrypted callback, read from its `msgtype`, `event.eventtype` and `stream.id`.
    /// - Parameter message: the decrypted callback JSON.
    public init(message: JSONValue) {
        switch message["msgtype"]?.stringValue {
        case let type? where BotMessageBuilder.messageTypes.contains(type): self = .message
        case "stream"?: self = .streamRefresh(id: message["stream"]?["id"]?.stringValue ?? "")
        case "event"?:
            switch message["event"]?["eventtype"]?.stringValue {
            case "enter_chat"?: self = .enterChat
            case "template_card_event"?: self = .templateCardEvent
            case "feedback_event"?: self = .feedbackEvent
            default: self = .unknown
            }
        default: self = .unknown
        }
    }
}
