// PROVISIONAL stand-in for the messages branch's PassiveReply; replaced when it lands.
import Foundation

enum ReplyDraft: Sendable, Equatable {
    case text(String)
    case image(mediaID: String)
    case voice(mediaID: String)
    case video(mediaID: String, title: String?, description: String?)
    case news([NewsArticle])
    case updateButton(replaceName: String)

    struct NewsArticle: Sendable, Equatable {
        var title: String, description: String, url: String, picURL: String
    }

    func renderXML(toUserName: String, fromUserName: String, createTime: Int64) -> [UInt8] {
        func c(_ s: String) -> String { XMLText.cdata(s) }
        var x = "<xml><ToUserName>\(c(toUserName))</ToUserName><FromUserName>\(c(fromUserName))</FromUserName><CreateTime>\(createTime)</CreateTime>"
        switch self {
        case .text(let t): x += "<MsgType>\(c("text"))</MsgType><Content>\(c(t))</Content>"
        case .image(let m): x += "<MsgType>\(c("image"))</MsgType><Image><MediaId>\(c(m))</MediaId></Image>"
        case .voice(let m): x += "<MsgType>\(c("voice"))</MsgType><Voice><MediaId>\(c(m))</MediaId></Voice>"
        case .video(let m, let t, let d):
            x += "<MsgType>\(c("video"))</MsgType><Video><MediaId>\(c(m))</MediaId><Title>\(c(t ?? ""))</Title><Description>\(c(d ?? ""))</Description></Video>"
        case .news(let a):
            x += "<MsgType>\(c("news"))</MsgType><ArticleCount>\(a.count)</ArticleCount><Articles>"
            for i in a { x += "<item><Title>\(c(i.title))</Title><Description>\(c(i.description))</Description><PicUrl>\(c(i.picURL))</PicUrl><Url>\(c(i.url))</Url></item>" }
            x += "</Articles>"
        case .updateButton(let r): x += "<MsgType>\(c("update_button"))</MsgType><Button><ReplaceName>\(c(r))</ReplaceName></Button>"
        }
        return Array((x + "</xml>").utf8)
    }

    static func fromJSON(_ bytes: [UInt8]) -> Result<ReplyDraft, ReplyJSONError> {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return .failure(.init(reason: "not a JSON object")) }
        guard let type = obj["msgtype"] as? String else { return .failure(.init(reason: "msgtype missing")) }
        switch type {
        case "text":
            guard let t = (obj["text"] as? [String: Any])?["content"] as? String else { return .failure(.init(reason: "text.content missing")) }
            return .success(.text(t))
        default: return .failure(.init(reason: "unsupported msgtype \(type)"))
        }
    }

    static func messageJSON(_ m: InboundMessage) -> [UInt8] {
        let obj: [String: Any] = ["MsgType": m.msgType, "FromUserName": m.fromUserName, "fields": m.fields]
        return (try? Array(JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]))) ?? Array("{}".utf8)
    }
}

struct ReplyJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
