import Foundation
import Platform

/// An append-only JSON Lines file of every message an app accepted.
///
/// Each line is `{"received_at":"<ISO-8601 UTC>","app":"<name>","route":<index or null>,"message":<message JSON>}`
/// (with `"retry":true` before `"message"` for a retried delivery). An authenticated message that could
/// not be parsed is journaled too, as `{"received_at":…,"app":…,"route":null,"error":"<why>","raw_base64":"<plaintext>"}`.
/// Lines are written with one `write(2)` loop under a lock (one lock per journal, so concurrent requests
/// never interleave lines) and `fsync(2)`ed before the reply is sent. The file is opened with `O_APPEND`,
/// created with mode 0640 if missing. ``reopen()`` closes and reopens it (for SIGHUP after log rotation).
///
/// Failure policy: a failed write never blocks the reply. ``append(app:route:messageJSON:receivedAt:)``
/// throws, the caller logs the error and sends the reply anyway, and ``failureCount`` goes up by one.
/// After a failure the next append first tries to reopen the file.
///
/// A failed write or fsync never leaves part of a line behind: the file is truncated back to its size
/// before the append. Should that truncation fail too, the next append starts with a line break, so the
/// fragment stays a (broken) line of its own and the following records remain readable.
public final class Journal: Sendable {
    /// The file's path as configured.
    public let path: String
    private let state: Locked<State>
    private let io: FileIO

    private struct State {
        var fd: Int32
        var failures: Int
        /// A torn line could not be truncated away: start the next line on a fresh line.
        var needsLineBreak = false
    }

    /// The system calls an append makes (tests inject failures).
    struct FileIO: Sendable {
        var write: @Sendable (Int32, UnsafeRawBufferPointer) -> Int
        var fsync: @Sendable (Int32) -> Int32
        var truncate: @Sendable (Int32, off_t) -> Int32

        static let system = FileIO(
            write: { fd, buffer in Glibc.write(fd, buffer.baseAddress, buffer.count) },
            fsync: { fd in Glibc.fsync(fd) },
            truncate: { fd, size in Glibc.ftruncate(fd, size) }
        )
    }

    /// Why the journal could not be opened or written; the text names the path and the system error.
    public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What failed, e.g. `cannot open /var/lib/x.jsonl: Permission denied`.
        public var description: String
    }

    /// Opens (creating if needed) the journal file for appending.
    /// - Parameter path: the file path.
    /// - Throws: ``JournalError`` when the file cannot be opened.
    public convenience init(path: String) throws(JournalError) {
        try self.init(path: path, io: .system)
    }

    init(path: String, io: FileIO) throws(JournalError) {
        self.path = path
        self.io = io
        let fd = try Self.open(path)
        state = Locked(State(fd: fd, failures: 0))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { POSIX.close($0.fd) } }
    }

    /// How many appends have failed since the journal was created.
    public var failureCount: Int { state.withLock { $0.failures } }

    /// Closes and reopens the file (after log rotation).
    /// - Throws: ``JournalError`` when it cannot be reopened; appends keep retrying the open.
    public func reopen() throws(JournalError) {
        let result: Result<Void, JournalError> = state.withLock { state in
            if state.fd >= 0 { POSIX.close(state.fd) }
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
        try write(line)
    }

    /// Appends one line for an authenticated message that could not be parsed, and fsyncs it.
    /// - Parameters:
    ///   - app: the app's name.
    ///   - error: why parsing failed (short; it must not quote the message).
    ///   - plaintext: the decrypted plaintext, journaled as base64.
    ///   - receivedAt: when the message arrived.
    /// - Throws: ``JournalError`` as ``append(app:route:messageJSON:receivedAt:retry:)``.
    public func appendUnparsed(app: String, error: String, plaintext: [UInt8], receivedAt: Date) throws(JournalError) {
        try write(Self.unparsedLine(app: app, error: error, plaintext: plaintext, receivedAt: receivedAt))
    }

    /// Writes one line under the lock, reopening the file first if an earlier append failed.
    private func write(_ line: [UInt8]) throws(JournalError) {
        let result: Result<Void, JournalError> = state.withLock { state in
            do throws(JournalError) {
                if state.fd < 0 { state.fd = try Self.open(path) }
                try write(state.needsLineBreak ? [0x0a] + line : line, state: &state)
                state.needsLineBreak = false
                return .success(())
            } catch {
                state.failures += 1
                if state.fd >= 0 { POSIX.close(state.fd) }
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

    /// The JSON line for an unparseable message (with its trailing `\n`).
    static func unparsedLine(app: String, error: String, plaintext: [UInt8], receivedAt: Date) -> [UInt8] {
        let time = receivedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        var out = Array("{\"received_at\":\"\(time)\",\"app\":".utf8)
        JSONText.writeString(app, to: &out)
        out += Array(",\"route\":null,\"error\":".utf8)
        JSONText.writeString(String(error.prefix(256)), to: &out)
        out += Array(",\"raw_base64\":\"\(Data(plaintext).base64EncodedString())\"}\n".utf8)
        return out
    }

    private static func open(_ path: String) throws(JournalError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw JournalError(description: "cannot open \(path): \(POSIX.errorText(errno))") }
        return fd
    }

    /// Writes and fsyncs `bytes`; on failure truncates the file back to its size before the write.
    /// Runs under the lock, so nothing of ours is appended in between (the file is `O_APPEND`).
    private func write(_ bytes: [UInt8], state: inout State) throws(JournalError) {
        let fd = state.fd
        let start = lseek(fd, 0, SEEK_END)
        var offset = 0
        var failure: String?
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { io.write(fd, UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = "cannot write \(path): \(POSIX.errorText(errno))"
                break
            }
            offset += n
        }
        if failure == nil, io.fsync(fd) != 0 {
            failure = "cannot fsync \(path): \(POSIX.errorText(errno))"
        }
        guard let failure else { return }
        // Take back whatever part of the line reached the file; if that is impossible and the file now
        // ends mid-line, the next append begins with a line break instead.
        if start < 0 || io.truncate(fd, start) != 0 {
            let end = lseek(fd, 0, SEEK_END)
            if start < 0 || end < 0 || (end != start && end - start != bytes.count) { state.needsLineBreak = true }
        }
        throw JournalError(description: failure)
    }
}
