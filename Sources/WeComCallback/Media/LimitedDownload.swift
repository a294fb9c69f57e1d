import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Platform

/// One HTTP request whose answer is read into memory up to a byte limit and a deadline, over
/// `URLSession` with a data delegate: a `Content-Length` over the limit, or the bytes read passing it,
/// cancels the transfer at once; so does the deadline (the route's `timeout_ms`, which the whole
/// download counts against).
enum LimitedDownload {
    /// A complete 200 answer.
    struct Answer: Sendable, Equatable {
        /// The body.
        var bytes: [UInt8]
        /// `Content-Type`, if sent.
        var contentType: String?
        /// The `filename` of `Content-Disposition`, if sent.
        var fileName: String?
    }

    /// Runs `request` and waits for its answer.
    /// - Parameters:
    ///   - request: a GET or POST.
    ///   - maxBytes: the most body bytes accepted (`[server] max_media_bytes`).
    ///   - deadline: when to give up (monotonic).
    /// - Returns: the body, its type and file name.
    /// - Throws: ``MediaError``: `tooLarge`, `timedOut`, `httpStatus` (not 200), `truncated` (fewer bytes
    ///   than `Content-Length`), `network`.
    static func run(_ request: URLRequest, maxBytes: Int, deadline: ContinuousClock.Instant) throws(MediaError) -> Answer {
        let remaining = deadline - .now
        guard remaining > .zero else { throw .timedOut }
        var request = request
        // The deadline below is the one that counts; URLSession's own limit is a second later.
        let transportTimeout = remaining.inSeconds + 1
        request.timeoutInterval = transportTimeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = transportTimeout
        configuration.timeoutIntervalForResource = transportTimeout
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        let delegate = Delegate(maxBytes: maxBytes)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        let task = session.dataTask(with: request)
        task.resume()
        let result = delegate.state.wait(until: deadline, while: { $0.result == nil }) { state, _ in
            state.result ?? .failure(.timedOut)
        }
        task.cancel()
        session.invalidateAndCancel()
        return try result.get()
    }

    /// The `filename` parameter of a `Content-Disposition` header (quoted or not), if any.
    /// - Parameter header: e.g. `attachment; filename="photo.jpg"`.
    static func fileName(fromContentDisposition header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "filename" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    struct State: Sendable {
        var body: [UInt8] = []
        var expected: Int64 = -1
        var contentType: String?
        var fileName: String?
        var result: Result<Answer, MediaError>?
    }

    /// Collects the body under the limit; the waiting caller is woken when the result is known.
    final class Delegate: NSObject, URLSessionDataDelegate, Sendable {
        let state = Locked(State())
        let maxBytes: Int

        init(maxBytes: Int) {
            self.maxBytes = maxBytes
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            let http = response as? HTTPURLResponse
            let status = http?.statusCode ?? 0
            let expected = response.expectedContentLength
            let refused: MediaError? = status != 200 ? .httpStatus(status) : expected > Int64(maxBytes) ? .tooLarge(limit: maxBytes) : nil
            state.withLockAndBroadcast { state in
                state.expected = expected
                state.contentType = http?.value(forHTTPHeaderField: "Content-Type")
                state.fileName = http?.value(forHTTPHeaderField: "Content-Disposition").flatMap(LimitedDownload.fileName(fromContentDisposition:))
                if let refused, state.result == nil { state.result = .failure(refused) }
            }
            completionHandler(refused == nil ? .allow : .cancel)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            let over = state.withLockAndBroadcast { state -> Bool in
                guard state.result == nil else { return true }
                guard state.body.count + data.count <= maxBytes else {
                    state.body = []
                    state.result = .failure(.tooLarge(limit: maxBytes))
                    return true
                }
                state.body.append(contentsOf: data)
                return false
            }
            if over { dataTask.cancel() }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            state.withLockAndBroadcast { state in
                guard state.result == nil else { return }
                if state.expected >= 0, state.body.count < state.expected {
                    state.result = .failure(.truncated(expected: Int(state.expected), received: state.body.count))
                } else if let error {
                    let code = (error as? URLError)?.code.rawValue ?? (error as NSError).code
                    state.result = .failure(code == URLError.Code.timedOut.rawValue ? .timedOut : .network(WeComAPIClient.reason(code)))
                } else {
                    state.result = .success(Answer(bytes: state.body, contentType: state.contentType, fileName: state.fileName))
                }
            }
        }
    }
}
