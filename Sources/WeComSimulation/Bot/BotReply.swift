import Foundation
import WeComCallback

/// One image of a final stream reply's `msg_item` (wecom-aibot.md §4).
public struct BotReplyImage: Sendable, Equatable {
    /// Size of the decoded image, bytes.
    public var byteCount: Int
    /// The `md5` the server sent (32 hex digits).
    public var md5: String
}

/// The `stream` object of a reply (wecom-aibot.md §4), checked against the limits.
public struct BotReplyStream: Sendable, Equatable {
    /// The stream id the server chose.
    public var id: String
    /// `finish`: the last reply of the stream.
    public var finish: Bool
    /// `content` (markdown, ≤ 20480 bytes of UTF-8); `nil` when absent.
    public var content: String?
    /// The images of `msg_item` (final reply only).
    public var images: [BotReplyImage]
    /// `feedback.id`, when present.
    public var feedbackID: String?

    /// The largest `content`, bytes of UTF-8.
    public static let maxContentBytes = 20_480
    /// The most images in one reply.
    public static let maxImages = 10
    /// The largest image, bytes.
    public static let maxImageBytes = 10 * 1024 * 1024

    /// Reads and checks a `stream` object.
    /// - Throws: ``BotReplyViolation`` for a missing id or finish, content over 20480 bytes, msg_item on a
    ///   non-final reply, more than 10 images, a malformed image, or a feedback id over 256 bytes.
    init(_ value: JSONValue) throws(BotReplyViolation) {
        guard let id = value["id"]?.stringValue, !id.isEmpty else { throw .badField("stream.id") }
        self.id = id
        switch value["finish"] {
        case .bool(let finish)?: self.finish = finish
        case nil, .null?: self.finish = false
        default: throw .badField("stream.finish")
        }
        switch value["content"] {
        case .string(let text)?:
            guard text.utf8.count <= Self.maxContentBytes else { throw .contentTooLong(text.utf8.count) }
            content = text
        case nil, .null?: content = nil
        default: throw .badField("stream.content")
        }
        images = []
        if let items = value["msg_item"], items != .null {
            guard let elements = items.arrayValue else { throw .badField("stream.msg_item") }
            if !elements.isEmpty {
                guard finish else { throw .msgItemBeforeFinish }
                guard elements.count <= Self.maxImages else { throw .tooManyImages(elements.count) }
            }
            for (index, item) in elements.enumerated() {
                guard item["msgtype"]?.stringValue == "image" else { throw .badImage("item \(index) is not msgtype image") }
                guard let base64 = item["image"]?["base64"]?.stringValue, let bytes = Data(base64Encoded: base64),
                      !bytes.isEmpty
                else { throw .badImage("item \(index) has no valid image.base64") }
                guard bytes.count <= Self.maxImageBytes else { throw .badImage("item \(index) is \(bytes.count) bytes, over 10 MB") }
                guard let md5 = item["image"]?["md5"]?.stringValue, md5.utf8.count == 32,
                      md5.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) })
                else { throw .badImage("item \(index) has no 32-hex-digit image.md5") }
                images.append(BotReplyImage(byteCount: bytes.count, md5: md5))
            }
        }
        if let feedback = value["feedback"], feedback != .null {
            guard let id = feedback["id"]?.stringValue else { throw .badField("stream.feedback.id") }
            guard id.utf8.count <= 256 else { throw .badField("stream.feedback.id (over 256 bytes)") }
            feedbackID = id
        }
    }
}

/// A decrypted bot reply (wecom-aibot.md §4), parsed and checked against the limits of its form.
public struct BotReply: Sendable, Equatable {
    /// The reply forms of §4.
    public enum Form: Sendable, Equatable {
        /// `{"msgtype":"text","text":{"content"}}` (welcome text).
        case text(String)
        /// `{"msgtype":"template_card","template_card":{…}}`.
        case templateCard(JSONValue)
        /// `{"msgtype":"stream","stream":{…}}`.
        case stream(BotReplyStream)
        /// `{"msgtype":"stream_with_template_card","stream":{…},"template_card":{…}}`.
        case streamWithTemplateCard(BotReplyStream, JSONValue)
        /// `{"response_type":"update_template_card","userids":[…],"template_card":{…}}`.
        case updateTemplateCard(userIDs: [String], card: JSONValue)
    }

    /// The parsed form.
    public var form: Form
    /// The whole decrypted JSON.
    public var json: JSONValue

    /// The stream of a stream or stream_with_template_card reply.
    public var stream: BotReplyStream? {
        switch form {
        case .stream(let stream), .streamWithTemplateCard(let stream, _): return stream
        default: return nil
        }
    }

    /// The template card of a card, stream-with-card or card-update reply.
    public var card: JSONValue? {
        switch form {
        case .templateCard(let card), .streamWithTemplateCard(_, let card), .updateTemplateCard(_, let card): return card
        default: return nil
        }
    }

    /// The name of the form: its msgtype, or `update_template_card`.
    public var formName: String {
        switch form {
        case .text: return "text"
        case .templateCard: return "template_card"
        case .stream: return "stream"
        case .streamWithTemplateCard: return "stream_with_template_card"
        case .updateTemplateCard: return "update_template_card"
        }
    }

    /// Parses and checks decrypted reply bytes.
    /// - Parameter plaintext: the bytes from ``BotReplyEnvelope/open(with:requestNonce:)``.
    /// - Throws: ``BotReplyViolation/notUTF8``, ``BotReplyViolation/notJSON(_:)``, ``BotReplyViolation/badField(_:)``
    ///   for an unknown msgtype or a missing part, and the stream limits of ``BotReplyStream``; a template card's
    ///   `task_id` over 128 bytes or outside `[0-9A-Za-z_@-]` is a ``BotReplyViolation/badField(_:)``.
    public init(plaintext: [UInt8]) throws(BotReplyViolation) {
        guard String(validating: plaintext, as: UTF8.self) != nil else { throw .notUTF8 }
        let root: JSONValue
        do {
            root = try JSONValue.parse(plaintext)
        } catch {
            throw .notJSON("malformed JSON")
        }
        guard root.isObject else { throw .notJSON("not an object") }
        json = root

        func card() throws(BotReplyViolation) -> JSONValue {
            guard let card = root["template_card"], card.isObject else { throw .badField("template_card") }
            if let taskID = card["task_id"]?.stringValue {
                let allowed = taskID.utf8.allSatisfy {
                    (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                        || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "-")
                }
                guard allowed, taskID.utf8.count <= 128 else { throw .badField("template_card.task_id (≤ 128 bytes of [0-9A-Za-z_@-])") }
            }
            return card
        }
        func stream() throws(BotReplyViolation) -> BotReplyStream {
            guard let stream = root["stream"], stream.isObject else { throw .badField("stream") }
            return try BotReplyStream(stream)
        }

        if root["response_type"]?.stringValue == "update_template_card" {
            guard let ids = root["userids"]?.arrayValue else { throw .badField("userids") }
            var userIDs: [String] = []
            for id in ids {
                guard let text = id.stringValue else { throw .badField("userids[]") }
                userIDs.append(text)
            }
            form = .updateTemplateCard(userIDs: userIDs, card: try card())
            return
        }
        switch root["msgtype"]?.stringValue {
        case "text":
            guard let content = root["text"]?["content"]?.stringValue else { throw .badField("text.content") }
            guard content.utf8.count <= BotReplyStream.maxContentBytes else { throw .contentTooLong(content.utf8.count) }
            form = .text(content)
        case "template_card": form = .templateCard(try card())
        case "stream": form = .stream(try stream())
        case "stream_with_template_card": form = .streamWithTemplateCard(try stream(), try card())
        case let other?: throw .badField("msgtype (\"\(other)\" is not a reply type)")
        case nil: throw .badField("msgtype")
        }
    }
}

/// Which replies WeCom accepts for which callback (wecom-aibot.md §3–§4).
public enum BotReplyRules {
    /// Checks a reply (or `nil` for an empty body) against the callback it answers.
    /// - Parameters:
    ///   - reply: the decrypted reply, `nil` for an empty 200.
    ///   - kind: what the request was.
    /// - Throws: ``BotReplyViolation/replyNotAllowed(_:)``, ``BotReplyViolation/emptyRefreshReply`` or
    ///   ``BotReplyViolation/streamIDChanged(expected:got:)``.
    public static func check(_ reply: BotReply?, answering kind: BotInboundKind) throws(BotReplyViolation) {
        guard let reply else {
            if case .streamRefresh = kind { throw .emptyRefreshReply }
            return
        }
        let name = reply.formName
        switch kind {
        case .message:
            switch reply.form {
            case .stream, .templateCard, .streamWithTemplateCard: return
            case .text: throw .replyNotAllowed("a user message cannot get a text reply (only enter_chat can); send a finished stream")
            case .updateTemplateCard: throw .replyNotAllowed("update_template_card answers template_card_event only")
            }
        case .enterChat:
            switch reply.form {
            case .text, .templateCard: return
            default: throw .replyNotAllowed("enter_chat accepts text or template_card, not \(name)")
            }
        case .templateCardEvent:
            guard case .updateTemplateCard = reply.form else {
                throw .replyNotAllowed("template_card_event accepts update_template_card only, not \(name)")
            }
        case .feedbackEvent:
            throw .replyNotAllowed("feedback_event accepts an empty reply only, not \(name)")
        case .streamRefresh(let id):
            switch reply.form {
            case .stream(let stream):
                guard stream.id == id else { throw .streamIDChanged(expected: id, got: stream.id) }
            case .streamWithTemplateCard:
                throw .replyNotAllowed("a refresh got stream_with_template_card: the card goes only once per message")
            default: throw .replyNotAllowed("a stream refresh accepts a stream only, not \(name)")
            }
        case .unknown:
            throw .replyNotAllowed("an unknown msgtype or eventtype gets an empty reply, not \(name)")
        }
    }
}
