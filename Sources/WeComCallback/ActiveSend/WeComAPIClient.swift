import Foundation
import Platform

/// The two WeCom server API calls active send needs, over libcurl (``CurlTransfer``, loaded by the
/// first call), as blocking calls for the sender's own thread (never call them on a request thread).
///
/// - `GET {apiBase}/cgi-bin/gettoken?corpid=…&corpsecret=…` → ``AccessToken``
/// - `POST {apiBase}/cgi-bin/message/send?access_token=…` with a JSON body → ``SendResponse``
///
/// Each call is one transfer of its own (a new connection; nothing is kept between calls). Errors and
/// ``redacted(_:)`` URLs never contain the secret or the token.
public final class WeComAPIClient: Sendable {
    /// The API root, e.g. `https://qyapi.weixin.qq.com`, without a trailing slash.
    public let apiBase: String
    /// The limit for one whole request (connect, send, receive).
    public let timeout: Duration

    /// WeCom's API root.
    public static let defaultAPIBase = "https://qyapi.weixin.qq.com"
    /// The default per-request timeout.
    public static let defaultTimeout: Duration = .seconds(5)
    /// The most answer bytes read from `gettoken` or `message/send` (their answers are 100–300 bytes);
    /// a longer answer is ``WeComAPIError/invalidResponse(_:)``.
    static let maxAnswerBytes = 65536

    /// A fresh access token (`gettoken`).
    public struct AccessToken: Sendable, Equatable {
        /// `access_token`.
        public var value: String
        /// `expires_in`, in seconds (7200 normally).
        public var expiresIn: Int

        /// Creates the value.
        /// - Parameters:
        ///   - value: the token.
        ///   - expiresIn: its lifetime in seconds.
        public init(value: String, expiresIn: Int) {
            self.value = value
            self.expiresIn = expiresIn
        }
    }

    /// The interesting fields of a successful (`errcode` 0) `message/send` answer.
    public struct SendResponse: Sendable, Equatable {
        /// `msgid`, when given.
        public var msgID: String?
        /// `invaliduser`: recipients that do not exist or are outside the app's visibility ("" if none).
        public var invalidUser: String

        /// Creates the value.
        /// - Parameters:
        ///   - msgID: `msgid`.
        ///   - invalidUser: `invaliduser`.
        public init(msgID: String?, invalidUser: String) {
            self.msgID = msgID
            self.invalidUser = invalidUser
        }
    }

    /// Creates a client (nothing is loaded or connected before the first call).
    /// - Parameters:
    ///   - apiBase: an `http` or `https` URL; trailing slashes are ignored.
    ///   - timeout: the limit for each request (default 5 s).
    public init(apiBase: String = defaultAPIBase, timeout: Duration = defaultTimeout) {
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        self.apiBase = base
        self.timeout = timeout
    }

    /// Fetches an access token.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - corpSecret: `corpsecret`, the app's Secret.
    ///   - deadline: a monotonic instant the call must not outlast (as well as ``timeout``), if any.
    /// - Returns: the token and its lifetime.
    /// - Throws: ``WeComAPIError``: `.network` (libcurl's code and a fixed reason, e.g.
    ///   `network error 7: connection refused`, `network error 28: timed out`), `.httpStatus` (not 200),
    ///   `.invalidResponse`, `.api` for a non-zero `errcode` (40001 invalid secret, 40013 invalid corp
    ///   id, -1 busy …), or `.tokenUnavailable(AccessTokenCache.deadlineReason)` when `deadline`, being
    ///   sooner than ``timeout``, ended the call.
    public func getToken(corpID: String, corpSecret: String, deadline: ContinuousClock.Instant? = nil) throws(WeComAPIError) -> AccessToken {
        let url = try makeURL("/cgi-bin/gettoken", query: [("corpid", corpID), ("corpsecret", corpSecret)])
        let ownLimit = ContinuousClock.now + timeout
        let data: Data
        do {
            data = try perform(.get, url, until: deadline.map { min($0, ownLimit) } ?? ownLimit)
        } catch {
            // When the deadline is the sooner limit, a timeout is the deadline's.
            if let deadline, deadline <= ownLimit, case .network(let code, _) = error, code == TransferError.timedOut.code {
                throw .tokenUnavailable(AccessTokenCache.deadlineReason)
            }
            throw error
        }
        let answer: TokenAnswer = try decode(data)
        try answer.check()
        guard let token = answer.access_token, !token.isEmpty else { throw .invalidResponse("no access_token") }
        return AccessToken(value: token, expiresIn: answer.expires_in ?? 7200)
    }

    /// Sends one message.
    /// - Parameters:
    ///   - body: the JSON request body (see ``ActiveMessage/sendAPIBodies(duplicateCheckInterval:)``).
    ///   - accessToken: a token from ``getToken(corpID:corpSecret:)``.
    /// - Returns: `msgid` and `invaliduser`.
    /// - Throws: ``WeComAPIError``: `.network`, `.httpStatus`, `.invalidResponse`, `.api` for a non-zero
    ///   `errcode` (42001 token expired, -1 busy …).
    public func sendMessage(_ body: Data, accessToken: String) throws(WeComAPIError) -> SendResponse {
        let url = try makeURL("/cgi-bin/message/send", query: [("access_token", accessToken)])
        let answer: SendAnswer = try decode(perform(.post, url, headers: ["Content-Type: application/json; charset=utf-8"],
                                                    body: [UInt8](body), until: .now + timeout))
        try answer.check()
        return SendResponse(msgID: answer.msgid, invalidUser: answer.invaliduser ?? "")
    }

    /// A URL for logs: scheme, host, port and path; the query (which holds the secret or the token)
    /// replaced by `?…`.
    /// - Parameter url: any URL.
    /// - Returns: the redacted text.
    public static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "<url>" }
        let hadQuery = components.query != nil
        components.query = nil
        components.fragment = nil
        components.user = nil
        components.password = nil
        return (components.string ?? "<url>") + (hadQuery ? "?…" : "")
    }

    // MARK: Internals

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    func makeURL(_ path: String, query: [(String, String)]) throws(WeComAPIError) -> URL {
        let encoded = query.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")"
        }
        guard let url = URL(string: apiBase + path + "?" + encoded.joined(separator: "&")) else {
            throw .invalidResponse("api_base does not form a URL")
        }
        return url
    }

    /// Runs one request (``CurlTransfer/request(_:cancelled:onChunk:)``); a 200 answer's body is returned.
    /// - Parameters:
    ///   - method: `GET` or `POST`.
    ///   - url: the whole URL (its query holds the secret or the token: never logged).
    ///   - headers: extra header lines.
    ///   - body: the `POST` body.
    ///   - until: when to give up (monotonic).
    /// - Throws: ``WeComAPIError``: see ``apiError(_:)``, and `.httpStatus` for any status but 200.
    func perform(_ method: CurlTransfer.Request.Method, _ url: URL, headers: [String] = [], body: [UInt8] = [],
                 until: ContinuousClock.Instant) throws(WeComAPIError) -> Data {
        let request = CurlTransfer.Request(method: method, url: url.absoluteString, headers: headers, body: body,
                                           maxAnswerBytes: Self.maxAnswerBytes, deadline: until)
        let response: CurlTransfer.Response
        do {
            response = try CurlTransfer.request(request)
        } catch {
            throw Self.apiError(error)
        }
        guard response.status == 200 else { throw .httpStatus(response.status) }
        return Data(response.body)
    }

    /// The API error a failed transfer stands for: an answer over ``maxAnswerBytes`` or a URL that is
    /// not `http(s)` is `.invalidResponse`; anything else (no complete answer, timeout, no libcurl) is
    /// `.network` with libcurl's `CURLcode` (28 timed out, 7 cannot connect …) and its fixed reason.
    static func apiError(_ error: TransferError) -> WeComAPIError {
        switch error {
        case .tooLarge, .invalidURL: return .invalidResponse(error.description)
        case .httpStatus(let status): return .httpStatus(status)
        default: return .network(code: error.code, reason: error.description)
        }
    }

    func decode<Answer: Decodable>(_ data: Data) throws(WeComAPIError) -> Answer {
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw .invalidResponse("not a JSON object with errcode (\(data.count) bytes)")
        }
    }

    private struct TokenAnswer: Decodable, APIAnswer {
        var errcode: Int?
        var errmsg: String?
        var access_token: String?
        var expires_in: Int?
    }

    private struct SendAnswer: Decodable, APIAnswer {
        var errcode: Int?
        var errmsg: String?
        var msgid: String?
        var invaliduser: String?
    }
}

/// The common `errcode`/`errmsg` of every API answer.
protocol APIAnswer {
    var errcode: Int? { get }
    var errmsg: String? { get }
}

extension APIAnswer {
    func check() throws(WeComAPIError) {
        guard let errcode else { throw .invalidResponse("no errcode") }
        guard errcode == 0 else { throw .api(errcode: errcode, errmsg: errmsg ?? "") }
    }
}
