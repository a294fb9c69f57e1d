import Foundation

/// A streaming client for `POST {base_url}/chat/completions` of any OpenAI-compatible server, as a
/// blocking call for the thread an action runs on.
///
/// The transport is libcurl (``CurlTransfer/request(_:cancelled:onChunk:)``, loaded by the first
/// call), which hands over the body block by block as it arrives, on the calling thread: no event
/// loop and no thread of its own. The alternatives were weighed: mattt/EventSource 1.1.1 reads the
/// stream with `URLSession.bytes(for:)`, which FoundationNetworking does not have (the package does
/// not build on Linux), and its parser is an actor fed one byte per `await`;
/// swift-server/async-http-client 1.37.0 streams well but brings SwiftNIO into the binary for one
/// feature (the footprint issue #16), and FoundationNetworking's `URLSession` (used before) costs
/// ~11 MiB of resident memory in every process that links it. What is left is a small server-sent-event
/// line parser (``ServerSentEventParser``) and the stream rules (``ChatCompletionStream``), both value
/// types tested on their own.
///
/// Deltas are reported as they arrive through `onDelta` (an AI-bot stream can forward them); the
/// return value is the whole answer, which is all an app's passive or active reply needs. Reading
/// stops as soon as the stream is finished (`[DONE]`, the content cap or a failure): the connection is
/// closed then, even when the server would send more.
public struct ChatCompletionClient: Sendable {
    /// `base_url` without trailing slashes, e.g. `http://127.0.0.1:11434/v1`.
    public var baseURL: String
    /// The bearer token, if the server needs one (never logged).
    public var apiKey: String?

    /// - Parameters:
    ///   - baseURL: an `http` or `https` URL; trailing slashes are ignored.
    ///   - apiKey: the key sent as `Authorization: Bearer …`, if any.
    public init(baseURL: String, apiKey: String? = nil) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
    }

    /// `{base_url}/chat/completions`.
    public var endpoint: URL? { URL(string: baseURL + "/chat/completions") }

    /// What one call produced.
    public struct Outcome: Sendable {
        /// The answer, or why there is none.
        public var result: Result<ChatCompletion, LLMError>
        /// From the call's start to the first non-empty delta, if one came.
        public var timeToFirstDelta: Duration?
    }

    /// The most body bytes read from one answer, deltas, comments and keep-alives included (the
    /// answer's own text is capped far below, at ``ChatCompletionStream/maxContentBytes``); more fails
    /// the call with ``LLMError/malformedEvent(_:)``.
    public static let maxStreamBytes = 32 << 20

    /// Sends the request and reads the streamed answer, blocking the calling thread.
    /// - Parameters:
    ///   - request: the chat (always sent with `stream: true`).
    ///   - timeout: the limit for the whole answer, from now (connect, send, every delta); the
    ///     transfer is ended when it passes.
    ///   - onDelta: called with each non-empty delta as it arrives, in order, on the calling thread.
    /// - Returns: the whole answer or an ``LLMError`` (its text never holds the key): `.timedOut` when
    ///   `timeout` passed, `.status` for any status but 200 with the server's message, `.connection`
    ///   with a fixed reason when no answer came (`connection refused`, `cannot find host`, …),
    ///   `.truncated` when the stream broke off; and the time to the first delta.
    public func complete(_ request: ChatCompletionRequest, timeout: Duration,
                         onDelta: @escaping @Sendable (ChatDelta) -> Void = { _ in }) -> Outcome {
        let started = ContinuousClock.now
        let timeoutMS = Int(timeout.inSeconds * 1000)
        guard let endpoint, let scheme = endpoint.scheme, ["http", "https"].contains(scheme) else {
            return Outcome(result: .failure(.connection("base_url is not an http(s) URL")))
        }
        var headers = ["Content-Type: application/json", "Accept: text/event-stream"]
        if let apiKey, !apiKey.isEmpty { headers.append("Authorization: Bearer \(apiKey)") }
        let transfer = CurlTransfer.Request(method: .post, url: endpoint.absoluteString, headers: headers,
                                            body: [UInt8](request.jsonBody()), maxAnswerBytes: Self.maxStreamBytes,
                                            deadline: started + timeout)
        var stream = ChatCompletionStream()
        var firstDelta: ContinuousClock.Instant?
        let result: Result<ChatCompletion, LLMError>
        do {
            let response = try CurlTransfer.request(transfer, onChunk: { status, chunk in
                if stream.status == nil { stream.receive(status: status) }
                let deltas = stream.receive(chunk)
                if !deltas.isEmpty, firstDelta == nil { firstDelta = .now }
                for delta in deltas { onDelta(delta) }
                return !stream.isFinished  // finished: stop reading (the transfer ends as a success)
            })
            if stream.status == nil { stream.receive(status: response.status) }  // a head without a body
            result = stream.end()
        } catch .timedOut {
            result = .failure(.timedOut(afterMS: timeoutMS))
        } catch .tooLarge(let limit) {
            result = .failure(.malformedEvent("stream longer than \(limit) bytes"))
        } catch .invalidURL {
            result = .failure(.connection("base_url is not an http(s) URL"))
        } catch {
            // No status yet: `.connection(reason)`; during the body: `.truncated`.
            result = stream.end(transportError: error.description)
        }
        return Outcome(result: redacted(result), timeToFirstDelta: firstDelta.map { $0 - started })
    }

    /// The result with any occurrence of the key removed from a server's message (some servers quote
    /// the key they refused).
    func redacted(_ result: Result<ChatCompletion, LLMError>) -> Result<ChatCompletion, LLMError> {
        guard let apiKey, !apiKey.isEmpty, case .failure(let error) = result else { return result }
        switch error {
        case .status(let status, let message):
            return .failure(.status(status, message: message.replacingOccurrences(of: apiKey, with: "***")))
        case .malformedEvent(let reason):
            return .failure(.malformedEvent(reason.replacingOccurrences(of: apiKey, with: "***")))
        default:
            return result
        }
    }
}
