import Dispatch
import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import WeComCallback

/// A tiny HTTP/1.1 server on 127.0.0.1 standing in for the WeCom API: parses the request line,
/// headers and a Content-Length body, answers from `respond`, and records every request.
/// Keep-alive is supported (a client may reuse a connection; ``CurlTransfer`` opens one per call);
/// one thread per connection.
final class MockWeComAPI: Sendable {
    struct Request: Sendable, Equatable {
        var method: String
        /// The path without the query.
        var path: String
        /// The decoded query parameters.
        var query: [String: String]
        var body: Data
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    enum Response: Sendable {
        /// 200 with this JSON text.
        case json(String)
        /// Another status with an empty body.
        case status(Int)
        /// Reset the connection without answering (a network failure).
        case drop
        /// Wait until ``release()``, then answer with the JSON text.
        case blockThenJSON(String)
    }

    let port: UInt16
    private let listener: Int32
    private let respond: @Sendable (Request, Int) -> Response
    private let recorded = LockedValue<[Request]>([])
    private let connections = LockedValue<[Int32]>([])
    private let gate = DispatchSemaphore(value: 0)
    private let released = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    var base: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { recorded.withLock { $0 } }
    func requests(path: String) -> [Request] { requests.filter { $0.path == path } }

    /// Starts listening.
    /// - Parameter respond: the answer to a request, given the request and its 0-based index among
    ///   the requests with the same path.
    init(respond: @escaping @Sendable (Request, Int) -> Response) throws {
        self.respond = respond
        let (fd, boundPort) = try loopbackSocket(listening: 16)
        port = UInt16(boundPort)
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Lets every `.blockThenJSON` answer go (now and later).
    func release() {
        released.store(true, ordering: .relaxed)
        for _ in 0..<64 { gate.signal() }
    }

    /// Stops listening and closes every connection.
    ///
    /// Only `shutdown(2)` here: the accept thread closes the listener itself once `accept` has
    /// failed. Closing it from this thread would free the descriptor number while the accept
    /// thread may still be about to call `accept` on it, and a server created meanwhile by a test
    /// running in parallel could get that number: its connections would then be answered by this
    /// server's `respond`.
    func stop() {
        release()
        stopped.store(true, ordering: .sequentiallyConsistent)
        shutdown(listener, Int32(SHUT_RDWR))
        connections.withLock { fds in for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    private func acceptLoop() {
        acceptConnections(on: listener, isStopped: { stopped.load(ordering: .sequentiallyConsistent) }) { fd in
            connections.withLock { $0.append(fd) }
            if stopped.load(ordering: .sequentiallyConsistent) { shutdown(fd, Int32(SHUT_RDWR)) }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            connections.withLock { $0.removeAll { $0 == fd } }
            close(fd)
        }
        var buffer: [UInt8] = []
        while true {
            guard let (request, rest) = readRequest(fd, buffer: buffer) else { return }
            buffer = rest
            let index = recorded.withLock { list in
                defer { list.append(request) }
                return list.filter { $0.path == request.path }.count
            }
            let json: String
            switch respond(request, index) {
            case .json(let text):
                json = text
            case .status(let status):
                write(fd, "HTTP/1.1 \(status) Error\r\nContent-Length: 0\r\n\r\n")
                continue
            case .drop:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)  // close with RST
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                return
            case .blockThenJSON(let text):
                while !released.load(ordering: .relaxed) { _ = gate.wait(timeout: .now() + 0.2) }
                json = text
            }
            let body = Array(json.utf8)
            write(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n\(json)")
        }
    }

    private func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    private func readRequest(_ fd: Int32, buffer start: [UInt8]) -> (Request, [UInt8])? {
        var buffer = start
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
            return true
        }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            if buffer.count >= 4 {
                headerEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<($0 + 4)]) == separator }
            }
            if headerEnd == nil, !fill() { return nil }
        }
        guard let headerEnd else { return nil }
        let head = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var contentLength = 0
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        let bodyStart = headerEnd + 4
        while buffer.count < bodyStart + contentLength {
            if !fill() { return nil }
        }
        let target = String(requestLine[1])
        let components = URLComponents(string: target)
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let request = Request(method: String(requestLine[0]), path: components?.path ?? target, query: query,
                              body: Data(buffer[bodyStart..<(bodyStart + contentLength)]))
        return (request, Array(buffer[(bodyStart + contentLength)...]))
    }
}

/// Log lines recorded by a test ``Logger``.
final class LogRecorder: Sendable {
    private let lines = LockedValue<[String]>([])

    var all: [String] { lines.withLock { $0 } }
    var text: String { all.joined(separator: "\n") }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    /// A logger at trace level writing here.
    func logger() -> Logger {
        var logger = Logger(label: "test") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append("\(event.level) \(event.message)")
    }
}

/// A monotonic clock the test moves by hand.
final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let offset = LockedValue<Duration>(.zero)
    func advance(_ by: Duration) { offset.withLock { $0 += by } }
    var now: @Sendable () -> ContinuousClock.Instant { { [self] in start + offset.withLock { $0 } } }
}

/// Waits (polling) until `condition` holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}

/// Like ``eventually(timeout:_:)``, for async tests: polls with `Task.sleep`, so the wait holds no
/// thread of the (core-sized) cooperative pool that parallel tests run on.
func eventuallyAsync(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

enum AS {
    static let corpID = "wwcorp0123"
    static let secret = "S3cr3t-corp-secret-value-never-logged-XYZ123"
    static let token = "ACCESS-TOKEN-abcdefghijklmnop"
    static let tokenJSON = #"{"errcode":0,"errmsg":"ok","access_token":"ACCESS-TOKEN-abcdefghijklmnop","expires_in":7200}"#
    static let ok = #"{"errcode":0,"errmsg":"ok","msgid":"m1"}"#
    static let fast = ActiveSender.Options(retryDelays: [.milliseconds(20), .milliseconds(40), .milliseconds(80)])

    /// A sender against `server`.
    static func sender(_ server: MockWeComAPI, logger: Logger, options: ActiveSender.Options = fast,
                       clock: ManualClock? = nil, timeout: Duration = .seconds(5)) -> (ActiveSender, AccessTokenCache) {
        let client = WeComAPIClient(apiBase: server.base + "/", timeout: timeout)
        let tokens = clock.map { AccessTokenCache(corpID: corpID, corpSecret: secret, client: client, now: $0.now) }
            ?? AccessTokenCache(corpID: corpID, corpSecret: secret, client: client)
        return (ActiveSender(appName: "helpdesk", tokens: tokens, client: client, options: options, logger: logger), tokens)
    }

    static func text(_ content: String, to user: String = "zhangsan") -> ActiveMessage {
        ActiveMessage(toUser: user, agentID: 1000002, content: .reply(.text(content)))
    }

    /// The JSON object of a request body.
    static func object(_ request: MockWeComAPI.Request) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any] ?? [:]
    }
}
