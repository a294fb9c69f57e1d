import Foundation

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

/// ``ResponseURLPosting`` over libcurl (``CurlTransfer``; http and https URLs only).
///
/// Nothing is created before the first post: a server whose bots never post to a `response_url` (or
/// that serves no bot) never loads libcurl and its TLS library.
public struct CurlResponseURLSender: ResponseURLPosting {
    /// The most answer bytes read (WeCom answers `{"errcode":0,"errmsg":"ok"}`).
    static let maxAnswerBytes = 65536
    /// The limit for each POST (connect, send, receive).
    public let timeout: Duration

    /// - Parameter timeout: the limit for each POST (default 10 s).
    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    /// POSTs `body` as `application/json` to `url` and waits at most ``timeout`` for the answer.
    /// - Returns: `nil` on a 2xx answer, else one of `response_url is not an http(s) URL`, `HTTP 500`
    ///   (the status), `timed out`, `network error: connection refused` (a fixed reason, never the URL).
    public func post(_ body: JSONValue, to url: String) -> String? {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "response_url is not an http(s) URL"
        }
        let request = CurlTransfer.Request(method: .post, url: target.absoluteString,
                                           headers: ["Content-Type: application/json; charset=utf-8"], body: body.encoded(),
                                           maxAnswerBytes: Self.maxAnswerBytes, deadline: .now + timeout)
        do {
            let response = try CurlTransfer.request(request)
            return (200..<300).contains(response.status) ? nil : "HTTP \(response.status)"
        } catch .timedOut {
            return "timed out"
        } catch .invalidURL {
            return "response_url is not an http(s) URL"
        } catch {
            return "network error: \(error)"
        }
    }
}
