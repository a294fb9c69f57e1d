import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Platform

/// Sends a bot's late result to a message's `response_url` (spec `wecom-aibot.md` §5): one POST of
/// `{"msgtype":"markdown","markdown":{"content":…}}`; each URL is used once, no access token.
public protocol ResponseURLPosting: Sendable {
    /// Posts `body` to `url` and waits for the answer (a program thread calls it).
    /// - Returns: `nil` on a 2xx answer, else a short reason (never the URL, which is a capability).
    func post(_ body: JSONValue, to url: String) -> String?
}

/// The markdown body of a late result.
/// - Parameter content: the text, cut to 20480 bytes at a character boundary.
public func responseURLMarkdown(_ content: String) -> JSONValue {
    .object(["msgtype": .string("markdown"),
             "markdown": .object(["content": .string(XMLText.truncatedUTF8(content, maxBytes: BotStream.maxContentBytes))])])
}

/// ``ResponseURLPosting`` over an ephemeral `URLSession` (http and https URLs only).
///
/// The session is created by the first post: every server has one sender (``ServerRuntime``), and one
/// whose bots never post to a `response_url` (or that serves no bot) never starts URLSession, so the
/// pages of FoundationNetworking, libcurl and its TLS library stay untouched.
public final class URLSessionResponseURLSender: ResponseURLPosting {
    private let session = Locked<URLSession?>(nil)
    private let timeout: Duration

    /// - Parameter timeout: the limit for each POST (default 10 s).
    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    deinit { session.withLock { $0 }?.finishTasksAndInvalidate() }

    /// The session, created on first use.
    private var currentSession: URLSession {
        session.withLock { session in
            if let session { return session }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = timeout.inSeconds
            configuration.timeoutIntervalForResource = timeout.inSeconds
            configuration.httpCookieStorage = nil
            configuration.urlCache = nil
            let created = URLSession(configuration: configuration)
            session = created
            return created
        }
    }

    public func post(_ body: JSONValue, to url: String) -> String? {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "response_url is not an http(s) URL"
        }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.encoded())
        let outcome = Locked<String??>(nil)
        let task = currentSession.dataTask(with: request) { _, response, error in
            let result: String?
            if error != nil {
                result = "network error"
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                result = "HTTP \(http.statusCode)"
            } else {
                result = nil
            }
            outcome.withLockAndBroadcast { $0 = .some(result) }
        }
        task.resume()
        let result = outcome.wait(until: .now + timeout + .seconds(2), while: { $0 == nil }) { value, _ in value }
        guard let result else {
            task.cancel()
            return "timed out"
        }
        return result
    }
}
