/// One HTTP request as the transport (FastCGI or CGI) hands it to the core.
///
/// All fields are raw: the query string is still percent-encoded, the body is the bytes that
/// actually arrived (already capped at `max_body_bytes` by the transport).
public struct CallbackRequest: Sendable, Equatable {
    /// `REQUEST_METHOD`, e.g. `GET`.
    public var method: String
    /// `DOCUMENT_URI` (or `SCRIPT_NAME` + `PATH_INFO`): the path without the query, used to pick the app.
    public var path: String
    /// `QUERY_STRING`, still percent-encoded.
    public var queryString: String
    /// `CONTENT_TYPE`; informative only, the envelope is read from the bytes whatever it says.
    public var contentType: String?
    /// `REMOTE_ADDR`, for logs and the status endpoint's allow-list.
    public var remoteAddress: String?
    /// The request body bytes.
    public var body: [UInt8]
    /// `true` when the transport stopped reading because the body exceeded `max_body_bytes`.
    public var bodyTooLarge: Bool
    /// When the web server received the request, Unix seconds (nginx `$msec` as `REQUEST_START`); the
    /// reply budget counts from here, so time spent waiting for a free worker is not given twice.
    public var receivedAt: Double?

    public init(
        method: String, path: String = "/", queryString: String = "", contentType: String? = nil,
        remoteAddress: String? = nil, body: [UInt8] = [], bodyTooLarge: Bool = false, receivedAt: Double? = nil
    ) {
        self.receivedAt = receivedAt
        self.method = method
        self.path = path
        self.queryString = queryString
        self.contentType = contentType
        self.remoteAddress = remoteAddress
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }
}

/// One HTTP response from the core: status, headers and the exact body bytes.
public struct CallbackResponse: Sendable, Equatable {
    /// HTTP status code (200, 400, 403, 404, 405, 413 …).
    public var status: Int
    /// Extra headers besides `Content-Type` and `Content-Length` (e.g. `Allow`).
    public var headers: [(name: String, value: String)]
    /// `Content-Type` header value.
    public var contentType: String
    /// The body, sent byte-exact; `Content-Length` is its count.
    public var body: [UInt8]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: CallbackResponse, rhs: CallbackResponse) -> Bool {
        lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }

    /// The reason phrase for `status`, for the CGI `Status:` line.
    public var reasonPhrase: String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 413: return "Payload Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
