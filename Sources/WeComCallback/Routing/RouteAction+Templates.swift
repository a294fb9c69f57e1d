extension RouteAction {
    /// Renders the reply of a template action (`text`, `image`, `voice`, `video`, `news`, `update_button`).
    /// - Parameter fields: the message's field view.
    /// - Returns: the reply (or a failure, for an impossible article count), or `nil` for the other actions.
    func templateReply(fields: [String: String]) -> ActionResult? {
        switch self {
        case .text(let template):
            return .reply(.text(template.render(fields)))
        case .image(let mediaID):
            return .reply(.image(mediaID: mediaID.render(fields)))
        case .voice(let mediaID):
            return .reply(.voice(mediaID: mediaID.render(fields)))
        case .video(let mediaID, let title, let description):
            return .reply(.video(mediaID: mediaID.render(fields), title: title?.render(fields), description: description?.render(fields)))
        case .news(let articles):
            let rendered = articles.map {
                NewsArticle(title: $0.title.render(fields), description: $0.description?.render(fields),
                            url: $0.url?.render(fields), picURL: $0.picURL?.render(fields))
            }
            do {
                return .reply(.news(try NewsArticles(rendered)))
            } catch {
                return .failed(reason: "news: \(error)", fallback: nil)
            }
        case .updateButton(let replaceName):
            return .reply(.updateButton(replaceName: replaceName.render(fields)))
        case .echo, .ignore, .exec:
            return nil
        }
    }
}
