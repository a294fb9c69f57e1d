import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Platform

/// A streaming client for `POST {base_url}/chat/completions` of any OpenAI-compatible server, as a
/// blocking call for the thread an action runs on.
///
/// The transport is Foundation's `URLSession` with a `URLSessionDataDelegate`, which hands over the
/// body chunk by chunk as it arrives (on Linux through FoundationNetworking, i.e. libcurl, already
/// linked for active send): no new dependency and no event loop in the binary. The alternatives
/// were weighed: mattt/EventSource 1.1.1 reads the stream with `URLSession.bytes(for:)`, which
/// FoundationNetworking does not have (the package does not build on Linux), and its parser is an
/// actor fed one byte per `await`; swift-server/async-http-client 1.37.0 streams well but brings
/// SwiftNIO into the binary for one feature (the footprint issue #16). What is left is a small
/// server-sent-event line parser (``ServerSentEventParser``) and the stream rules
/// (``ChatCompletionStream``), both value types tested on their own.
///
/// Deltas are reported as they arrive through `onDelta` (an AI-bot stream can forward them); the
/// return value is the whole answer, which is all an app's passive or active reply needs.
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

    /// Sends the request and reads the streamed answer, blocking the calling thread.
    /// - Parameters:
    ///   - request: the chat (always sent with `stream: true`).
    ///   - timeout: the limit for the whole answer, from now (the request is cancelled when it passes).
    ///   - onDelta: called with each non-empty delta as it arrives, in order, on URLSession's thread.
    /// - Returns: the whole answer or an ``LLMError`` (its text never holds the key), and the time to
    ///   the first delta.
    public func complete(_ request: ChatCompletionRequest, timeout: Duration,
                         onDelta: @escaping @Sendable (ChatDelta) -> Void = { _ in }) -> Outcome {
        let started = ContinuousClock.now
        let timeoutMS = Int(timeout.inSeconds * 1000)
        guard let endpoint, let scheme = endpoint.scheme, ["http", "https"].contains(scheme) else {
            return Outcome(result: .failure(.connection("base_url is not an http(s) URL")))
        }
        var urlRequest = URLRequest(url: endpoint)
        urlRequest.httpMethod = "POST"
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        urlRequest.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        if let apiKey, !apiKey.isEmpty { urlRequest.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        urlRequest.httpBody = request.jsonBody()
        // The deadline below is the one that counts; URLSession's own limits are a second later, so that
        // a timeout is reported the same way whether the server never answers or stops mid-stream.
        let transportTimeout = timeout.inSeconds + 1
        urlRequest.timeoutInterval = transportTimeout

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = transportTimeout
        configuration.timeoutIntervalForResource = transportTimeout
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        let delegate = StreamDelegate(started: started, timeoutMS: timeoutMS, onDelta: onDelta)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        let task = session.dataTask(with: urlRequest)
        task.resume()
        let (result, first) = delegate.state.wait(until: started + timeout, while: { $0.result == nil }) { state, timedOut in
            (state.result ?? .failure(.timedOut(afterMS: timeoutMS)), state.firstDelta.map { $0 - started })
        }
        // Done, failed or out of time: stop reading and let the session (and its delegate) go.
        task.cancel()
        session.invalidateAndCancel()
        return Outcome(result: redacted(result), timeToFirstDelta: first)
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

    /// A fixed description of a transport error; never the error's own text, which may quote the URL.
    static func reason(_ error: any Error) -> String {
        let raw = (error as? URLError)?.code.rawValue ?? (error as NSError).code
        let code = URLError.Code(rawValue: raw)
        switch code {
        case .timedOut: return "timed out"
        case .cannotConnectToHost: return "connection refused"
        case .networkConnectionLost: return "connection lost"
        case .cannotFindHost, .dnsLookupFailed: return "cannot find host"
        case .notConnectedToInternet: return "not connected"
        case .badServerResponse: return "bad server response"
        case .secureConnectionFailed: return "TLS handshake failed"
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot:
            return "untrusted server certificate"
        case .cancelled: return "cancelled"
        default: return "URL error \(raw)"
        }
    }

    /// What the delegate knows, under one lock.
    struct State: Sendable {
        var stream = ChatCompletionStream()
        var result: Result<ChatCompletion, LLMError>?
        var firstDelta: ContinuousClock.Instant?
    }

    /// Feeds URLSession's callbacks into a ``ChatCompletionStream``; the waiting caller is woken when
    /// the result is known.
    final class StreamDelegate: NSObject, URLSessionDataDelegate, Sendable {
        let state = Locked(State())
        let started: ContinuousClock.Instant
        let timeoutMS: Int
        let onDelta: @Sendable (ChatDelta) -> Void

        init(started: ContinuousClock.Instant, timeoutMS: Int, onDelta: @escaping @Sendable (ChatDelta) -> Void) {
            self.started = started
            self.timeoutMS = timeoutMS
            self.onDelta = onDelta
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            state.withLock { $0.stream.receive(status: status) }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let (deltas, finished) = state.withLockAndBroadcast { state -> ([ChatDelta], Bool) in
                guard state.result == nil else { return ([], true) }
                let deltas = state.stream.receive(data)
                if !deltas.isEmpty, state.firstDelta == nil { state.firstDelta = .now }
                if state.stream.isFinished { state.result = state.stream.end() }
                return (deltas, state.stream.isFinished)
            }
            for delta in deltas { onDelta(delta) }
            if finished { dataTask.cancel() }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            state.withLockAndBroadcast { state in
                guard state.result == nil else { return }
                if let error, (error as? URLError)?.code == .timedOut || (error as NSError).code == URLError.Code.timedOut.rawValue {
                    state.result = .failure(.timedOut(afterMS: timeoutMS))
                } else {
                    state.result = state.stream.end(transportError: error.map { ChatCompletionClient.reason($0) })
                }
            }
        }
    }
}
