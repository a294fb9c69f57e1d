/// Why a call to the WeCom server API failed. The text never contains the corp secret or an
/// access token: URLs are logged without their query.
public enum WeComAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No complete HTTP answer: connection refused or lost, timeout, DNS, libcurl not installed …
    /// (`code` is libcurl's `CURLcode`: 7 cannot connect, 6 cannot resolve, 28 timed out, 52 empty
    /// response, 56 connection lost, 2 libcurl not loadable; `reason` is a fixed text, never the URL).
    case network(code: Int, reason: String)
    /// An HTTP status other than 200.
    case httpStatus(Int)
    /// A 200 response whose body is not the expected JSON object.
    case invalidResponse(String)
    /// The API answered with a non-zero `errcode`.
    case api(errcode: Int, errmsg: String)
    /// No access token to send with: the ``TokenStore`` failed, or another caller's refresh did not
    /// finish in time. The reason never contains a token or a secret.
    case tokenUnavailable(String)

    /// `errcode` -1: "system busy, retry later".
    public static let systemBusy = -1
    /// `errcode`s that mean the access token is invalid or expired (40014 invalid, 42001 expired,
    /// 42009 expired after a secret change): refresh the token once and retry.
    public static let tokenErrcodes: Set<Int> = [40014, 42001, 42009]

    /// Whether the same request may succeed later: network errors, HTTP 5xx and 429, `errcode` -1, and
    /// a token that could not be had from the store.
    public var isTransient: Bool {
        switch self {
        case .network, .tokenUnavailable: return true
        case .httpStatus(let status): return status >= 500 || status == 429
        case .invalidResponse: return false
        case .api(let errcode, _): return errcode == Self.systemBusy
        }
    }

    /// Whether the access token was refused (``tokenErrcodes``).
    public var isTokenRejected: Bool {
        if case .api(let errcode, _) = self { return Self.tokenErrcodes.contains(errcode) }
        return false
    }

    /// One line for the log, e.g. `errcode=40001 errmsg="invalid credential"` (`errmsg` cut to 200
    /// characters, control characters escaped).
    public var description: String {
        switch self {
        case .network(let code, let reason): return "network error \(code): \(reason)"
        case .httpStatus(let status): return "HTTP status \(status)"
        case .invalidResponse(let why): return "invalid response: \(why)"
        // WeCom's own text, capped and with control characters escaped (``LogText``).
        case .api(let errcode, let errmsg): return "errcode=\(errcode) errmsg=\"\(LogText.sanitize(errmsg))\""
        case .tokenUnavailable(let why): return "no access token: \(why)"
        }
    }
}
