/// One request as the web server handed it over: the FastCGI (or CGI) parameters and the body bytes.
///
/// A value type with no pointers into libfcgi: everything is copied out before the responder sees it.
public struct FastCGIRequest: Sendable, Equatable {
    /// Every parameter the web server sent (`REQUEST_METHOD`, `QUERY_STRING`, `HTTP_*` …), name → value.
    public var params: [String: String]
    /// The body bytes that actually arrived, at most `maxBodyBytes` of them.
    public var body: [UInt8]
    /// `true` when more than `maxBodyBytes` bytes were available; `body` then holds only the first
    /// `maxBodyBytes` bytes and the rest was not read.
    public var bodyTooLarge: Bool

    /// Creates a request.
    /// - Parameters:
    ///   - params: the FastCGI/CGI parameters, name → value.
    ///   - body: the body bytes that arrived (already capped).
    ///   - bodyTooLarge: whether the body exceeded the transport's limit.
    public init(params: [String: String], body: [UInt8] = [], bodyTooLarge: Bool = false) {
        self.params = params
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    /// The value of one parameter, or `nil` when the web server did not send it.
    /// - Parameter name: the parameter name, e.g. `"REMOTE_ADDR"`.
    /// - Returns: the value as sent (not decoded).
    public subscript(_ name: String) -> String? { params[name] }

    /// `REQUEST_METHOD`, e.g. `GET`; empty when absent.
    public var requestMethod: String { params["REQUEST_METHOD"] ?? "" }
    /// `QUERY_STRING`, still percent-encoded; empty when absent.
    public var queryString: String { params["QUERY_STRING"] ?? "" }
    /// `DOCUMENT_URI` (nginx): the path without the query, after nginx's normalisation.
    public var documentURI: String? { params["DOCUMENT_URI"] }
    /// `SCRIPT_NAME`.
    public var scriptName: String? { params["SCRIPT_NAME"] }
    /// `PATH_INFO`.
    public var pathInfo: String? { params["PATH_INFO"] }
    /// `CONTENT_TYPE`.
    public var contentType: String? { params["CONTENT_TYPE"].flatMap { $0.isEmpty ? nil : $0 } }
    /// `REMOTE_ADDR`: the client's address as the web server saw it.
    public var remoteAddress: String? { params["REMOTE_ADDR"].flatMap { $0.isEmpty ? nil : $0 } }
    /// `REQUEST_START`: when the web server had the request, Unix seconds with a fraction (nginx:
    /// `fastcgi_param REQUEST_START $msec;`); `nil` when absent or not a number.
    public var requestStart: Double? { params["REQUEST_START"].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil } }

    /// `CONTENT_LENGTH` as a number of bytes; `nil` when absent, empty or not a non-negative decimal.
    /// Informative only: the transport reads what actually arrives, whatever this says.
    public var contentLength: Int? {
        guard let text = params["CONTENT_LENGTH"], !text.isEmpty, let value = Int(text), value >= 0 else {
            return nil
        }
        return value
    }

    /// The request path without the query: `DOCUMENT_URI` when present, else `SCRIPT_NAME` + `PATH_INFO`,
    /// else `/`.
    public var path: String {
        if let uri = documentURI, !uri.isEmpty { return uri }
        let joined = (scriptName ?? "") + (pathInfo ?? "")
        return joined.isEmpty ? "/" : joined
    }
}
