import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An append-only JSON Lines file of every message an app accepted.
///
/// Each line is `{"received_at":"<ISO-8601 UTC>","app":"<name>","route":<index or null>,"message":<message JSON>}`
/// (with `"retry":true` before `"message"` for a retried delivery),
/// written with one `write(2)` loop under a lock (one lock per journal, so concurrent requests never
/// interleave lines) and `fsync(2)`ed before the reply is sent. The file is opened with `O_APPEND`,
/// created with mode 0640 if missing. ``reopen()`` closes and reopens it (for SIGHUP after log rotation).
///
/// Failure policy: a failed write never blocks the reply. ``append(app:route:messageJSON:receivedAt:)``
/// throws, the caller logs the error and sends the reply anyway, and ``failureCount`` goes up by one.
/// After a failure the next append first tries to reopen the file.
public final class Journal: Sendable {
    /// The file's path as configured.
    public let path: String
    private let state: Mutex<State>

    private struct State {
        var fd: Int32
        var failures: Int
    }

    /// Why the journal could not be opened or written; the text names the path and the system error.
    public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What failed, e.g. `cannot open /var/lib/x.jsonl: Permission denied`.
        public var description: String
    }

    /// Opens (creating if needed) the journal file for appending.
    /// - Parameter path: the file path.
    /// - Throws: ``JournalError`` when the file cannot be opened.
    public init(path: String) throws(JournalError) {
        self.path = path
        let fd = try Self.open(path)
        state = Mutex(State(fd: fd, failures: 0))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    /// How many appends have failed since the journal was created.
    public var failureCount: Int { state.withLock { $0.failures } }

    /// Closes and reopens the file (after log rotation).
    /// - Throws: ``JournalError`` when it cannot be reopened; appends keep retrying the open.
    public func reopen() throws(JournalError) {
        let result: Result<Void, JournalError> = state.withLock { state in
            if state.fd >= 0 { close(state.fd) }
            state.fd = -1
            do throws(JournalError) {
                state.fd = try Self.open(path)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Appends one line and fsyncs it.
    /// - Parameters:
    ///   - app: the app's name.
    ///   - route: the index of the route that matched, or `nil`.
    ///   - messageJSON: the message's JSON form (one JSON object, no line break).
    ///   - receivedAt: when the message arrived.
    ///   - retry: `true` for a retried delivery whose action did not run again (`"retry":true` in the line).
    /// - Throws: ``JournalError`` when the write or fsync failed (``failureCount`` is incremented).
    public func append(app: String, route: Int?, messageJSON: [UInt8], receivedAt: Date, retry: Bool = false) throws(JournalError) {
        let line = Self.line(app: app, route: route, messageJSON: messageJSON, receivedAt: receivedAt, retry: retry)
        let result: Result<Void, JournalError> = state.withLock { state in
            do throws(JournalError) {
                if state.fd < 0 { state.fd = try Self.open(path) }
                try Self.write(line, to: state.fd, path: path)
                return .success(())
            } catch {
                state.failures += 1
                if state.fd >= 0 { close(state.fd) }
                state.fd = -1
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The JSON line for one message (with its trailing `\n`).
    static func line(app: String, route: Int?, messageJSON: [UInt8], receivedAt: Date, retry: Bool = false) -> [UInt8] {
        let time = receivedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        var out = Array("{\"received_at\":\"\(time)\",\"app\":".utf8)
        JSONText.writeString(app, to: &out)
        out += Array(",\"route\":\(route.map(String.init) ?? "null"),".utf8)
        if retry { out += Array("\"retry\":true,".utf8) }
        out += Array("\"message\":".utf8)
        out += messageJSON.isEmpty ? Array("null".utf8) : messageJSON
        out += Array("}\n".utf8)
        return out
    }

    private static func open(_ path: String) throws(JournalError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw JournalError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    private static func write(_ bytes: [UInt8], to fd: Int32, path: String) throws(JournalError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw JournalError(description: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }
}
