import CCurl

/// Why a ``CurlTransfer`` failed. Every text is fixed (never a URL, a header, a token or a body):
/// the users map it to their own errors (``MediaError``, ``WeComAPIError``, ``LLMError``, the
/// `response_url` sender's reason).
enum TransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body passed `limit` bytes (a `Content-Length` over it, or the bytes read).
    case tooLarge(limit: Int)
    /// The deadline or timeout passed (libcurl's `CURLE_OPERATION_TIMEDOUT`, or none left at the start).
    case timedOut
    /// `cancelled()` turned true during the transfer.
    case cancelled
    /// A status other than 200 where only 200 is accepted (downloads).
    case httpStatus(Int)
    /// Fewer body bytes arrived than `Content-Length` announced.
    case truncated(expected: Int, received: Int)
    /// Not an `http`/`https` URL (also after a redirect), or not a URL at all.
    case invalidURL
    /// A local file cannot be written (download) or read (upload).
    case file(String)
    /// No complete HTTP answer: libcurl's `CURLcode` (7 cannot connect, 6 cannot resolve, 52 empty
    /// response, 56 connection lost …; 2, `CURLE_FAILED_INIT`, when libcurl cannot be loaded or started)
    /// and a fixed description of it.
    case network(code: Int, reason: String)

    /// The `CURLcode` this stands for (28 for ``timedOut``, 42 for ``cancelled``, 63 for ``tooLarge``,
    /// 22 for ``httpStatus``, 18 for ``truncated``, 1 for ``invalidURL``, 23 for ``file``).
    var code: Int {
        let code: CURLcode
        switch self {
        case .tooLarge: code = CURLE_FILESIZE_EXCEEDED
        case .timedOut: code = CURLE_OPERATION_TIMEDOUT
        case .cancelled: code = CURLE_ABORTED_BY_CALLBACK
        case .httpStatus: code = CURLE_HTTP_RETURNED_ERROR
        case .truncated: code = CURLE_PARTIAL_FILE
        case .invalidURL: code = CURLE_UNSUPPORTED_PROTOCOL
        case .file: code = CURLE_WRITE_ERROR
        case .network(let code, _): return code
        }
        return Int(code.rawValue)
    }

    /// A fixed description, e.g. `timed out`, `connection refused`, `HTTP status 502`.
    var description: String {
        switch self {
        case .tooLarge(let limit): return "answer larger than \(limit) bytes"
        case .timedOut: return "timed out"
        case .cancelled: return "cancelled"
        case .httpStatus(let status): return "HTTP status \(status)"
        case .truncated(let expected, let received): return "connection lost after \(received) of \(expected) bytes"
        case .invalidURL: return "not an http(s) URL"
        case .file(let why): return why
        case .network(_, let reason): return reason
        }
    }
}
