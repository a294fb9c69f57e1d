extension RouteAction {
    /// Renders the reply of a template action (`text`, `image`, `voice`, `video`, `news`, `update_button`).
    /// - Parameter fields: the message's field view.
    /// - Returns: the reply, or `nil` for the other actions.
    func templateReply(fields: [String: String]) -> ReplyDraft? {
        switch self {
        case .text(let template):
            return .text(template.render(fields))
        case .image(let mediaID):
            return .image(mediaID: mediaID.render(fields))
        case .voice(let mediaID):
            return .voice(mediaID: mediaID.render(fields))
        case .video(let mediaID, let title, let description):
            return .video(mediaID: mediaID.render(fields), title: title?.render(fields), description: description?.render(fields))
        case .news(let articles):
            return .news(articles.map {
                ReplyDraft.NewsArticle(
                    title: $0.title.render(fields), description: $0.description?.render(fields) ?? "",
                    url: $0.url?.render(fields) ?? "", picURL: $0.picURL?.render(fields) ?? "")
            })
        case .updateButton(let replaceName):
            return .updateButton(replaceName: replaceName.render(fields))
        case .echo, .ignore, .exec:
            return nil
        }
    }
}
