import Foundation

/// A delivery's outcome as kept in Redis: what every later arrival (on any host) answers.
///
/// The passive reply is message content, so it never lies in Redis in plain text: ``seal(with:)``
/// encrypts it with the app's own WXBizMsgCrypt (the AES-256-CBC frame of spec §4.2, the app's receiveid
/// inside, base64) — the same cipher WeCom's messages use, no crypto of our own.
public enum StoredOutcome: Sendable, Equatable {
    /// The action finished in time: the reply (or none) and the failure reason, if any.
    case answered(PassiveReply?, failure: String?)
    /// The delivery missed its budget: arrivals answer empty; the result went (or goes) by active send.
    case missedBudget

    /// The stored value: `late`, or `v1:` and the sealed JSON.
    /// - Parameter crypt: the app's cipher.
    /// - Returns: the value, or `nil` when encryption failed (the outcome is then not shared).
    public func seal(with crypt: WXBizMsgCrypt) -> String? {
        switch self {
        case .missedBudget:
            return "late"
        case .answered(let reply, let failure):
            var object: [String: Any] = [:]
            if let reply { object["reply"] = Self.json(reply) }
            if let failure { object["failure"] = failure }
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
                  let sealed = try? crypt.encrypt(Array(data)) else { return nil }
            return "v1:" + sealed
        }
    }

    /// Reads a stored value back.
    /// - Parameters:
    ///   - value: what ``seal(with:)`` stored.
    ///   - crypt: the app's cipher.
    /// - Returns: the outcome, or `nil` when it cannot be opened (another key, a corrupt value).
    public static func open(_ value: String, with crypt: WXBizMsgCrypt) -> StoredOutcome? {
        if value == "late" { return .missedBudget }
        guard value.hasPrefix("v1:"), let frame = try? crypt.decrypt(String(value.dropFirst(3))),
              frame.receiveID == crypt.receiveID,
              let object = (try? JSONSerialization.jsonObject(with: Data(frame.message))) as? [String: Any] else { return nil }
        let failure = object["failure"] as? String
        guard let replyObject = object["reply"] else { return .answered(nil, failure: failure) }
        guard let dictionary = replyObject as? [String: Any], let reply = Self.reply(dictionary) else { return nil }
        return .answered(reply, failure: failure)
    }

    /// As the machine answers it.
    public var answer: DeliveryStateMachine.Answer {
        switch self {
        case .answered(let reply, let failure): return .reply(reply, failure: failure)
        case .missedBudget: return .missedBudget
        }
    }

    // MARK: - PassiveReply as JSON (the program contract's keys; template cards as their element tree)

    static func json(_ reply: PassiveReply) -> [String: Any] {
        var object: [String: Any] = ["MsgType": reply.msgType]
        switch reply {
        case .text(let content): object["Content"] = content
        case .image(let mediaID), .voice(let mediaID): object["MediaId"] = mediaID
        case .video(let mediaID, let title, let description):
            object["MediaId"] = mediaID
            object["Title"] = title
            object["Description"] = description
        case .news(let news):
            object["Articles"] = news.articles.map { article -> [String: Any] in
                var item: [String: Any] = ["Title": article.title]
                item["Description"] = article.description
                item["Url"] = article.url
                item["PicUrl"] = article.picURL
                return item
            }
        case .updateButton(let name), .updateTaskcard(let name): object["ReplaceName"] = name
        case .updateTemplateCard(let card): object["Elements"] = card.elements.map(json)
        }
        return object
    }

    private static func json(_ element: TemplateCard.Element) -> [String: Any] {
        switch element.value {
        case .text(let text): return ["n": element.name, "t": text]
        case .bare(let bare): return ["n": element.name, "b": bare]
        case .children(let children): return ["n": element.name, "c": children.map(json)]
        }
    }

    static func reply(_ object: [String: Any]) -> PassiveReply? {
        guard let msgType = object["MsgType"] as? String else { return nil }
        let string = { (key: String) in object[key] as? String }
        switch msgType {
        case "text": return string("Content").map { .text($0) }
        case "image": return string("MediaId").map { .image(mediaID: $0) }
        case "voice": return string("MediaId").map { .voice(mediaID: $0) }
        case "video": return string("MediaId").map { .video(mediaID: $0, title: string("Title"), description: string("Description")) }
        case "news":
            guard let list = object["Articles"] as? [[String: Any]] else { return nil }
            var articles: [NewsArticle] = []
            for item in list {
                guard let title = item["Title"] as? String else { return nil }
                articles.append(NewsArticle(title: title, description: item["Description"] as? String,
                                            url: item["Url"] as? String, picURL: item["PicUrl"] as? String))
            }
            return (try? NewsArticles(articles)).map { .news($0) }
        case "update_button": return string("ReplaceName").map { .updateButton(replaceName: $0) }
        case "update_taskcard": return string("ReplaceName").map { .updateTaskcard(replaceName: $0) }
        case "update_template_card":
            guard let list = object["Elements"] as? [[String: Any]] else { return nil }
            var elements: [TemplateCard.Element] = []
            for item in list {
                guard let element = element(item, depth: 0) else { return nil }
                elements.append(element)
            }
            return .updateTemplateCard(TemplateCard(elements: elements))
        default: return nil
        }
    }

    private static func element(_ object: [String: Any], depth: Int) -> TemplateCard.Element? {
        guard depth < 32, let name = object["n"] as? String else { return nil }
        if let text = object["t"] as? String { return .init(name: name, value: .text(text)) }
        if let bare = object["b"] as? String { return .init(name: name, value: .bare(bare)) }
        guard let list = object["c"] as? [[String: Any]] else { return nil }
        var children: [TemplateCard.Element] = []
        for item in list {
            guard let child = element(item, depth: depth + 1) else { return nil }
            children.append(child)
        }
        return .init(name: name, value: .children(children))
    }
}
