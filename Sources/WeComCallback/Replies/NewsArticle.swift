/// One article (`Articles/item`) of a `news` passive reply (spec §10.1).
public struct NewsArticle: Sendable, Equatable {
    /// `Title`: cut to 128 bytes when rendered.
    public var title: String
    /// `Description`: cut to 512 bytes when rendered; omitted when `nil`.
    public var description: String?
    /// `Url`: opened on tap; omitted when `nil`.
    public var url: String?
    /// `PicUrl`: JPG/PNG, the first article's is shown large; omitted when `nil`.
    public var picURL: String?

    /// Creates an article.
    public init(title: String, description: String? = nil, url: String? = nil, picURL: String? = nil) {
        self.title = title
        self.description = description
        self.url = url
        self.picURL = picURL
    }
}

/// The 1–8 articles of a `news` reply (spec §10.1, §13.4: cap at 8), valid by construction.
public struct NewsArticles: Sendable, Equatable {
    /// The articles, 1…8 of them.
    public let articles: [NewsArticle]

    /// The maximum number of articles (spec §13.4).
    public static let maximumCount = 8

    /// Checks the count.
    /// - Parameter articles: 1…8 articles.
    /// - Throws: ``ReplyError/articleCount(_:)`` for 0 or more than 8.
    public init(_ articles: [NewsArticle]) throws(ReplyError) {
        guard (1...Self.maximumCount).contains(articles.count) else { throw .articleCount(articles.count) }
        self.articles = articles
    }
}
