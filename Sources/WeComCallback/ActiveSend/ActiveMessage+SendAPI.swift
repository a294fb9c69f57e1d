import Foundation

extension ActiveMessage {
    /// The send-API-only types `message/send` accepts for an app.
    public static let sendableActiveOnlyTypes: Set<String> = [
        "markdown", "textcard", "file", "mpnews", "miniprogram_notice", "template_card",
    ]

    /// How the top-level keys of an exec program's reply object are renamed for `message/send`;
    /// other keys are passed through unchanged (so a program may also write the API's own keys).
    public static let activeOnlyKeyNames: [String: String] = [
        "Content": "content", "MediaId": "media_id", "Title": "title", "Description": "description",
        "Url": "url", "BtnTxt": "btntxt", "Articles": "articles",
    ]

    /// The `message/send` request bodies for this message, in sending order: one, or several for a
    /// text longer than 2048 bytes (split by ``UTF8TextSplitter``).
    ///
    /// Each body is `{"agentid":…,"msgtype":"<t>","<t>":{…},"touser":…,"enable_duplicate_check":1,
    /// "duplicate_check_interval":…}` (compact JSON, sorted keys, slashes unescaped), with `<t>`:
    /// - text: `{"content"}`; image, voice: `{"media_id"}`;
    ///   video: `{"media_id","title","description"}` (absent ones omitted);
    ///   news: `{"articles":[{"title","description","url","picurl"}]}` (absent ones omitted);
    /// - an ``ActiveOnlyReply``: its JSON object without `MsgType`, top-level keys renamed by
    ///   ``activeOnlyKeyNames`` (markdown `Content` → `{"content"}`, file `MediaId` →
    ///   `{"media_id"}`, textcard `Title`/`Description`/`Url`/`BtnTxt` → lower case, mpnews
    ///   `Articles` → `articles` with the items unchanged); for `template_card` the `TemplateCard`
    ///   object is passed through unchanged (it already uses the API's snake_case keys).
    /// - Parameter duplicateCheckInterval: seconds for `duplicate_check_interval` with
    ///   `enable_duplicate_check` 1, or `nil` to send neither key.
    /// - Returns: the UTF-8 JSON bodies.
    /// - Throws: ``ActiveSendError``: `passiveOnly` (update_button, update_template_card,
    ///   update_taskcard), `unsupported` (music …), `invalidReply`.
    public func sendAPIBodies(duplicateCheckInterval: Int? = 1800) throws(ActiveSendError) -> [Data] {
        let parts: [(msgType: String, object: Any)]
        switch content {
        case .reply(let reply):
            switch reply {
            case .text(let text):
                parts = UTF8TextSplitter.split(text).map { ("text", ["content": $0]) }
            case .image(let mediaID):
                parts = [("image", ["media_id": mediaID])]
            case .voice(let mediaID):
                parts = [("voice", ["media_id": mediaID])]
            case .video(let mediaID, let title, let description):
                var video = ["media_id": mediaID]
                video["title"] = title
                video["description"] = description
                parts = [("video", video)]
            case .news(let news):
                let articles = news.articles.map { article -> [String: String] in
                    var item = ["title": article.title]
                    item["description"] = article.description
                    item["url"] = article.url
                    item["picurl"] = article.picURL
                    return item
                }
                parts = [("news", ["articles": articles])]
            case .updateButton, .updateTemplateCard, .updateTaskcard:
                throw .passiveOnly(msgType: reply.msgType)
            }
        case .activeOnly(let reply):
            parts = [(reply.msgType, try Self.sendObject(reply))]
        }
        var bodies: [Data] = []
        for part in parts {
            var body: [String: Any] = [
                "touser": toUser, "msgtype": part.msgType, "agentid": agentID, part.msgType: part.object,
            ]
            if let duplicateCheckInterval {
                body["enable_duplicate_check"] = 1
                body["duplicate_check_interval"] = duplicateCheckInterval
            }
            do {
                bodies.append(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
            } catch {
                throw .invalidReply("not serialisable")
            }
        }
        return bodies
    }

    /// The `<msgtype>` object for a send-API-only reply.
    private static func sendObject(_ reply: ActiveOnlyReply) throws(ActiveSendError) -> [String: Any] {
        guard sendableActiveOnlyTypes.contains(reply.msgType) else { throw .unsupported(msgType: reply.msgType) }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(reply.json.utf8))
        } catch {
            throw .invalidReply("not parseable JSON")
        }
        guard let object = parsed as? [String: Any] else { throw .invalidReply("not a JSON object") }
        if reply.msgType == "template_card", let card = object["TemplateCard"] {
            guard let card = card as? [String: Any] else { throw .invalidReply("TemplateCard is not an object") }
            return card
        }
        var out: [String: Any] = [:]
        for (key, value) in object where key != "MsgType" {
            out[activeOnlyKeyNames[key] ?? key] = value
        }
        return out
    }
}
