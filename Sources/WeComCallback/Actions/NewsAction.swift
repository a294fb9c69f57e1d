/// `news`: 1–8 articles, each a table of `title` (required), `description`, `url` and `picurl` templates.
struct NewsAction: Action, Equatable {
    static let name = "news"
    static let keys = ["articles"]
    /// The keys of one article table.
    static let articleKeys = ["title", "description", "url", "picurl"]
    /// At most this many articles (spec §10.6).
    static let maxArticles = 8

    /// The articles in order.
    var articles: [NewsArticleTemplate]

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> NewsAction? {
        loadArticles(table, at: path, loader: &loader).map(NewsAction.init)
    }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        let fields = message.fields
        let rendered = articles.map {
            NewsArticle(title: $0.title.render(fields), description: $0.description?.render(fields),
                        url: $0.url?.render(fields), picURL: $0.picURL?.render(fields))
        }
        do {
            return .reply(.news(try NewsArticles(rendered)))
        } catch {
            return .failed(reason: "news: \(error)", fallback: nil)
        }
    }

    static func loadArticles(_ table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> [NewsArticleTemplate]? {
        let keyPath = "\(path).articles"
        guard let value = table["articles"] else {
            loader.error(keyPath, "missing (action \"news\" needs it)")
            return nil
        }
        guard case .array(let items) = value else {
            loader.error(keyPath, "must be an array of tables, not \(ConfigLoader.article(value.typeName))")
            return nil
        }
        guard (1...maxArticles).contains(items.count) else {
            loader.error(keyPath, "must have 1 to \(maxArticles) articles, not \(items.count)")
            return nil
        }
        var articles: [NewsArticleTemplate] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let itemPath = "\(keyPath)[\(i)]"
            guard case .table(let t) = item else {
                loader.error(itemPath, "must be a table, not \(ConfigLoader.article(item.typeName))")
                ok = false
                continue
            }
            loader.checkKeys(t, at: itemPath, allowed: articleKeys)
            if t["title"] == nil { loader.error("\(itemPath).title", "missing") }
            let title = loader.template(t, "title", at: itemPath)
            let description = loader.template(t, "description", at: itemPath)
            let url = loader.template(t, "url", at: itemPath)
            let picURL = loader.template(t, "picurl", at: itemPath)
            if let title { articles.append(NewsArticleTemplate(title: title, description: description, url: url, picURL: picURL)) } else { ok = false }
        }
        return ok ? articles : nil
    }
}

extension Action where Self == NewsAction {
    /// `news` with these articles.
    static func news(_ articles: [NewsArticleTemplate]) -> NewsAction { NewsAction(articles: articles) }
}

/// One article of a `news` action; each field a template.
public struct NewsArticleTemplate: Sendable, Equatable {
    /// `title` (≤ 128 bytes are shown).
    public var title: MessageTemplate
    /// `description` (≤ 512 bytes are shown).
    public var description: MessageTemplate?
    /// `url`: where a tap leads.
    public var url: MessageTemplate?
    /// `picurl`: JPG/PNG; the first article's picture is shown large.
    public var picURL: MessageTemplate?

    /// Creates an article.
    /// - Parameters:
    ///   - title: the title template.
    ///   - description: the description template, if any.
    ///   - url: the link template, if any.
    ///   - picURL: the picture URL template, if any.
    public init(title: MessageTemplate, description: MessageTemplate? = nil, url: MessageTemplate? = nil, picURL: MessageTemplate? = nil) {
        self.title = title
        self.description = description
        self.url = url
        self.picURL = picURL
    }
}
