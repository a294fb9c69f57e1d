import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Platform

/// The two WeCom server API calls active send needs, over `URLSession`, as blocking calls for the
/// sender's own thread (never call them on a request thread).
///
/// - `GET {apiBase}/cgi-bin/gettoken?corpid=…&corpsecret=…` → ``AccessToken``
/// - `POST {apiBase}/cgi-bin/message/send?access_token=…` with a JSON body → ``SendResponse``
///
/// Errors and ``redacted(_:)`` URLs never contain the secret or the token.
public final class WeComAPIClient: Sendable {
    /// The API root, e.g. `https://qyapi.weixin.qq.com`, without a trailing slash.
    public let apiBase: String
    /// The limit for one whole request (connect, send, receive).
    public let timeout: Duration
    /// The session of the JSON calls (`gettoken`, `message/send`; the media calls use ``CurlTransfer``).
    let session: URLSession

    /// WeCom's API root.
    public static let defaultAPIBase = "https://qyapi.weixin.qq.com"
    /// The default per-request timeout.
    public static let defaultTimeout: Duration = .seconds(5)

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

    /// Creates a client with its own ephemeral `URLSession`.
    /// - Parameters:
    ///   - apiBase: an `http` or `https` URL; trailing slashes are ignored.
    ///   - timeout: the limit for each request (default 5 s).
    public init(apiBase: String = defaultAPIBase, timeout: Duration = defaultTimeout) {
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        self.apiBase = base
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.inSeconds
        configuration.timeoutIntervalForResource = timeout.inSeconds
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// Fetches an access token.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - corpSecret: `corpsecret`, the app's Secret.
    ///   - deadline: a monotonic instant the call must not outlast (as well as ``timeout``), if any.
    /// - Returns: the token and its lifetime.
    /// - Throws: ``WeComAPIError``: `.network`, `.httpStatus`, `.invalidResponse`, `.api` for a
    ///   non-zero `errcode` (40001 invalid secret, 40013 invalid corp id, -1 busy …), or
    ///   `.tokenUnavailable(AccessTokenCache.deadlineReason)` when `deadline` ended the wait.
    public func getToken(corpID: String, corpSecret: String, deadline: ContinuousClock.Instant? = nil) throws(WeComAPIError) -> AccessToken {
        let url = try makeURL("/cgi-bin/gettoken", query: [("corpid", corpID), ("corpsecret", corpSecret)])
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        let data: Data
        do {
            data = try perform(request, deadline: deadline)
        } catch {
            // With a deadline the request's timeout is what is left of it: a timeout is the deadline's.
            if deadline != nil, case .network(let code, _) = error, code == URLError.Code.timedOut.rawValue {
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
    /// - Throws: ``WeComAPIError``, `.api` for a non-zero `errcode` (42001 token expired, -1 busy …).
    public func sendMessage(_ body: Data, accessToken: String) throws(WeComAPIError) -> SendResponse {
        let url = try makeURL("/cgi-bin/message/send", query: [("access_token", accessToken)])
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let answer: SendAnswer = try decode(perform(request))
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

    /// Runs one request and waits for it, at most until `deadline` when one is given; a 200 answer's
    /// body is returned.
    func perform(_ request: URLRequest, deadline: ContinuousClock.Instant? = nil) throws(WeComAPIError) -> Data {
        // URLSession enforces the timeout; the bound of the wait only guards against a lost callback. A
        // deadline ends the wait itself, exactly (URLSession's timeout is whole seconds at best), and the
        // task is cancelled.
        var waitUntil = ContinuousClock.now + timeout + .seconds(2)
        if let deadline {
            guard deadline > .now else {
                throw .network(code: URLError.Code.timedOut.rawValue, reason: Self.reason(URLError.Code.timedOut.rawValue))
            }
            waitUntil = min(waitUntil, deadline)
        }
        let outcome = Locked<Result<Data, WeComAPIError>?>(nil)
        let task = session.dataTask(with: request) { data, response, error in
            let result: Result<Data, WeComAPIError>
            if let error {
                let code = (error as? URLError)?.code.rawValue ?? (error as NSError).code
                result = .failure(.network(code: code, reason: Self.reason(code)))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                result = .failure(.httpStatus(http.statusCode))
            } else {
                result = .success(data ?? Data())
            }
            outcome.withLockAndBroadcast { $0 = result }
        }
        task.resume()
        let result = outcome.wait(until: waitUntil, while: { $0 == nil }) { result, _ in result }
        guard let result else {
            task.cancel()
            throw .network(code: URLError.Code.timedOut.rawValue, reason: Self.reason(URLError.Code.timedOut.rawValue))
        }
        return try result.get()
    }

    /// A fixed description of a `URLError` code; never the error's own text, which may quote the URL.
    static func reason(_ code: Int) -> String {
        switch URLError.Code(rawValue: code) {
        case .timedOut: return "timed out"
        case .cannotConnectToHost: return "cannot connect to host"
        case .networkConnectionLost: return "connection lost"
        case .cannotFindHost: return "cannot find host"
        case .dnsLookupFailed: return "DNS lookup failed"
        case .notConnectedToInternet: return "not connected"
        case .badServerResponse: return "bad server response"
        case .zeroByteResource: return "empty response"
        case .secureConnectionFailed: return "TLS handshake failed"
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot:
            return "untrusted server certificate"
        case .cancelled: return "cancelled"
        default: return "URL error"
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
