import Foundation

/// A reply object printed by an external program (the JSON contract, spec §10): either a passive
/// reply to render into the HTTP response, or a send-API-only message.
///
/// Accepted objects (keys are the XML element names):
/// `{"MsgType":"text","Content":"…"}`, `{"MsgType":"image","MediaId":"…"}`,
/// `{"MsgType":"voice","MediaId":"…"}`, `{"MsgType":"video","MediaId":"…","Title":"…","Description":"…"}`,
/// `{"MsgType":"news","Articles":[{"Title":"…","Description":"…","Url":"…","PicUrl":"…"}]}` (1–8),
/// `{"MsgType":"update_button","ReplaceName":"…"}`, `{"MsgType":"update_taskcard","ReplaceName":"…"}`,
/// `{"MsgType":"update_template_card","TemplateCard":{…}}` (send-API card JSON, snake_case keys),
/// and any ``ActiveOnlyReply/types`` type with whatever fields it needs.
public enum ParsedReply: Sendable, Equatable {
    /// Renderable with ``PassiveReply/renderXML(toUser:fromUser:createTime:)``.
    case passive(PassiveReply)
    /// Only sendable through the API; never rendered as a passive reply.
    case activeOnly(ActiveOnlyReply)

    /// Parses and validates a reply object.
    /// - Parameter json: UTF-8 JSON text.
    /// - Returns: the reply.
    /// - Throws: ``ReplyError``: `invalidJSON`, `notAnObject`, `missingField` (path), `wrongType`,
    ///   `unknownType`, `articleCount`.
    public init(json: [UInt8]) throws(ReplyError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        } catch {
            throw .invalidJSON("not parseable")
        }
        guard let dictionary = object as? [String: Any] else { throw .notAnObject("") }
        try self.init(object: dictionary)
    }

    /// Validates a reply object already decoded by `JSONSerialization`.
    /// - Parameter object: the JSON object.
    /// - Throws: ``ReplyError`` as ``init(json:)``.
    public init(object: [String: Any]) throws(ReplyError) {
        func string(_ key: String, in object: [String: Any], path: String = "") throws(ReplyError) -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let text = value as? String else { throw .wrongType(field: path + key, expected: "a string") }
            return text
        }
        func required(_ key: String, in object: [String: Any] = object, path: String = "") throws(ReplyError) -> String {
            guard let text = try string(key, in: object, path: path) else { throw .missingField(path + key) }
            return text
        }
        let msgType = try required("MsgType")
        switch msgType {
        case "text": self = .passive(.text(try required("Content")))
        case "image": self = .passive(.image(mediaID: try required("MediaId")))
        case "voice": self = .passive(.voice(mediaID: try required("MediaId")))
        case "video":
            self = .passive(.video(mediaID: try required("MediaId"), title: try string("Title", in: object),
                                   description: try string("Description", in: object)))
        case "news":
            guard let raw = object["Articles"] else { throw .missingField("Articles") }
            guard let list = raw as? [Any] else { throw .wrongType(field: "Articles", expected: "an array") }
            guard (1...NewsArticles.maximumCount).contains(list.count) else { throw .articleCount(list.count) }
            var articles: [NewsArticle] = []
            for (k, item) in list.enumerated() {
                let path = "Articles/\(k)/"
                guard let article = item as? [String: Any] else { throw .notAnObject("Articles/\(k)") }
                articles.append(NewsArticle(
                    title: try required("Title", in: article, path: path),
                    description: try string("Description", in: article, path: path),
                    url: try string("Url", in: article, path: path),
                    picURL: try string("PicUrl", in: article, path: path)))
            }
            self = .passive(.news(try NewsArticles(articles)))
        case "update_button": self = .passive(.updateButton(replaceName: try required("ReplaceName")))
        case "update_taskcard": self = .passive(.updateTaskcard(replaceName: try required("ReplaceName")))
        case "update_template_card":
            guard let raw = object["TemplateCard"] else { throw .missingField("TemplateCard") }
            guard let card = raw as? [String: Any] else { throw .notAnObject("TemplateCard") }
            self = .passive(.updateTemplateCard(try TemplateCard(json: card)))
        default:
            guard ActiveOnlyReply.types.contains(msgType) else { throw .unknownType(msgType) }
            var out: [UInt8] = []
            JSONText.write(Self.stringly(object), to: &out)
            self = .activeOnly(ActiveOnlyReply(msgType: msgType, json: String(decoding: out, as: UTF8.self)))
        }
    }

    /// Converts numbers/booleans to their JSON text so ``JSONText/write(_:to:)`` keeps them.
    private static func stringly(_ value: Any) -> Any {
        if let object = value as? [String: Any] { return object.mapValues(stringly) }
        if let array = value as? [Any] { return array.map(stringly) }
        if value is String { return value }
        return RawJSON(text: JSONText.scalar(value) ?? "null")
    }
}

/// Already-serialised JSON (a number, boolean or null) for ``JSONText/write(_:to:)``.
struct RawJSON {
    let text: String
}
