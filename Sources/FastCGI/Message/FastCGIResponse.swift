/// One response to write back: status, content type, extra headers and the exact body bytes.
public struct FastCGIResponse: Sendable, Equatable {
    /// HTTP status code, e.g. `200`.
    public var status: Int
    /// `Content-Type` header value.
    public var contentType: String
    /// Extra headers besides `Status`, `Content-Type` and `Content-Length`, in order.
    public var headers: [(name: String, value: String)]
    /// The body, sent byte-exact; `Content-Length` is its count.
    public var body: [UInt8]

    /// Creates a response.
    /// - Parameters:
    ///   - status: HTTP status code.
    ///   - contentType: `Content-Type` value.
    ///   - headers: extra headers (name, value), written in order.
    ///   - body: body bytes.
    public init(
        status: Int, contentType: String = "text/plain; charset=utf-8",
        headers: [(name: String, value: String)] = [], body: [UInt8] = []
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: FastCGIResponse, rhs: FastCGIResponse) -> Bool {
        lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// A plain-text response, for errors the transport itself produces.
    /// - Parameters:
    ///   - status: HTTP status code.
    ///   - text: body text, sent as UTF-8.
    /// - Returns: the response.
    public static func text(_ status: Int, _ text: String) -> FastCGIResponse {
        FastCGIResponse(status: status, body: Array(text.utf8))
    }
}
