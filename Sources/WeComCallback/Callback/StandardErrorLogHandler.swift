import Logging
import Platform

/// The server's log handler: one line per event on a file descriptor (stderr by default), in swift-log's
/// `StreamLogHandler` format, byte for byte:
///
///     2026-12-06T18:45:00+0100 info wecom-fcgi: [WeComCallback] POST /wecom/callback 200 app=… 0.05ms
///
/// (local time as `strftime`'s `%Y-%m-%dT%H:%M:%S%z`, level, label, `:`, the metadata as sorted
/// `key=value` pairs if any, `[source]`, the message).
///
/// It exists for speed, not for a different format: the request line is written for every request, and
/// `StreamLogHandler` spent about as long on it as the whole pipeline did (a fresh 255-byte buffer,
/// `localtime` and `strftime` per line, a chain of string interpolations, then `fwrite` and `fflush` on a
/// locked `FILE`). Here the timestamp is formatted once per second (a ``TimestampCache``, which the
/// handlers of one logging bootstrap share), the line is assembled as bytes, and it goes out in one `write(2)`, so lines
/// from concurrent threads never interleave (a line up to `PIPE_BUF`, 4096 bytes, is atomic on a pipe;
/// journald and files take whole writes too). A failed write is dropped: a log line must not fail a
/// request.
public struct StandardErrorLogHandler: LogHandler {
    /// Events below this level are not written.
    public var logLevel: Logger.Level
    /// Metadata written with every event of this handler.
    public var metadata: Logger.Metadata = [:]
    /// Metadata added at each event (swift-log's task-local providers).
    public var metadataProvider: Logger.MetadataProvider?
    /// The logger's label, after the level on each line.
    public let label: String
    private let fileDescriptor: Int32
    private let clock: TimestampCache

    /// - Parameters:
    ///   - label: the logger's label.
    ///   - level: the lowest level written.
    ///   - fileDescriptor: where lines go (2, stderr, by default); never closed by the handler.
    ///   - timestamps: the formatted-second cache; pass one instance to every handler a bootstrap makes.
    public init(label: String, level: Logger.Level = .info, fileDescriptor: Int32 = 2,
                timestamps: TimestampCache = TimestampCache()) {
        self.label = label
        self.logLevel = level
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = LoggingSystem.metadataProvider
        self.clock = timestamps
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        try? POSIX.writeAll(fileDescriptor, line(for: event, now: time(nil)))
    }

    /// The bytes of one line, newline included (what ``log(event:)`` writes).
    /// - Parameters:
    ///   - event: the event.
    ///   - now: the time of the line, in Unix seconds (shown as local time).
    func line(for event: LogEvent, now: time_t) -> [UInt8] {
        let message = event.message.description
        // `source` is computed from the file ID on each read: read once.
        let source = event.source
        var line = [UInt8]()
        line.reserveCapacity(48 + label.utf8.count + source.utf8.count + message.utf8.count)
        clock.append(now, to: &line)
        line.append(UInt8(ascii: " "))
        Bytes.append(event.level.rawValue, to: &line)
        if !label.isEmpty {
            line.append(UInt8(ascii: " "))
            Bytes.append(label, to: &line)
        }
        line.append(UInt8(ascii: ":"))
        if let pretty = prettyMetadata(event) {
            line.append(UInt8(ascii: " "))
            Bytes.append(pretty, to: &line)
        }
        line.append(contentsOf: " [".utf8)
        Bytes.append(source, to: &line)
        line.append(contentsOf: "] ".utf8)
        Bytes.append(message, to: &line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// `StreamLogHandler`'s metadata text: the handler's, the provider's and the event's metadata merged
    /// (later wins), plus the error's, as sorted `key=value` pairs; `nil` when there is none.
    private func prettyMetadata(_ event: LogEvent) -> String? {
        let provided = metadataProvider?.get() ?? [:]
        let explicit = event.metadata ?? [:]
        guard !metadata.isEmpty || !provided.isEmpty || !explicit.isEmpty || event.error != nil else { return nil }
        var merged = metadata
        merged.merge(provided) { _, new in new }
        merged.merge(explicit) { _, new in new }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        guard !merged.isEmpty else { return nil }
        return merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

/// The local-time text of the current second, `%Y-%m-%dT%H:%M:%S%z`, formatted once per second; one
/// instance serves all the handlers of a logging bootstrap (the process has one clock and one time zone).
public final class TimestampCache: Sendable {
    /// An empty cache (the first line formats its second).
    public init() {}

    private let cached = Locked<(second: time_t, text: [UInt8])>((-1, []))

    /// Appends the text of `second` to `line`.
    func append(_ second: time_t, to line: inout [UInt8]) {
        let text = cached.withLock { cache -> [UInt8] in
            if cache.second != second { cache = (second, Self.format(second)) }
            return cache.text
        }
        line.append(contentsOf: text)
    }

    /// `strftime("%Y-%m-%dT%H:%M:%S%z")` of `second` in local time; `<unknown>` (as `StreamLogHandler`)
    /// when the time cannot be converted.
    static func format(_ second: time_t) -> [UInt8] {
        var seconds = second
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { return Array("<unknown>".utf8) }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return buffer.prefix(count).map { UInt8(bitPattern: $0) }
    }
}
