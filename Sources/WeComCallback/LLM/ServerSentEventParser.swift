/// One server-sent event: its `event` type (if any) and its `data` lines joined by `\n`.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, if the event had one.
    public var event: String?
    /// The `data:` lines, joined by a line feed (no trailing one).
    public var data: String

    /// - Parameters:
    ///   - event: the event type, if any.
    ///   - data: the data.
    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
    }
}

/// An incremental parser for the `text/event-stream` format (WHATWG HTML, "Server-sent events",
/// §9.2.6 "Interpreting an event stream"), fed the body in whatever chunks the transport delivers.
///
/// Lines end with CRLF, LF or CR (a CRLF split across two chunks counts once); a line starting with
/// `:` is a comment; `data:` lines accumulate (one optional space after the colon is dropped) and an
/// empty line dispatches the event; `event:` sets its type; `id:` and `retry:` are read and ignored (a
/// completion stream is never resumed). An event without data is not dispatched. A UTF-8 BOM at the
/// start of the stream is skipped.
///
/// A value type: the transport's delegate feeds it under its lock; the tests feed it plain bytes.
public struct ServerSentEventParser: Sendable {
    /// The longest line kept, in bytes: a longer one is cut there (a stream is never allowed to grow
    /// the buffer without bound).
    public static let maxLineBytes = 1 << 20

    private var line: [UInt8] = []
    private var lastWasCR = false
    private var atStart = true
    private var data: String?
    private var event: String?
    /// Whether some line was longer than ``maxLineBytes`` (and was cut).
    public private(set) var sawOverlongLine = false

    public init() {}

    /// Feeds the next chunk of the body.
    /// - Parameter bytes: the chunk, in order.
    /// - Returns: the events completed by this chunk, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case 0x0A:
                if lastWasCR {
                    lastWasCR = false
                } else {
                    endLine(into: &events)
                }
            case 0x0D:
                endLine(into: &events)
                lastWasCR = true
            default:
                lastWasCR = false
                if line.count < Self.maxLineBytes { line.append(byte) } else { sawOverlongLine = true }
            }
        }
        return events
    }

    /// Ends the stream: a last line without its line break is processed, but an event not followed by
    /// an empty line is discarded (as the format says).
    /// - Returns: always empty today; kept for symmetry with ``feed(_:)``.
    public mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        data = nil
        event = nil
        return events
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) {
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if atStart {
            atStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        guard let first = bytes.first else {
            // An empty line: dispatch.
            if let data { events.append(ServerSentEvent(event: event, data: data)) }
            data = nil
            event = nil
            return
        }
        if first == UInt8(ascii: ":") { return }
        let field: String
        var value: ArraySlice<UInt8> = []
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: bytes[..<colon], as: UTF8.self)
            value = bytes[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = String(decoding: bytes, as: UTF8.self)
        }
        let text = String(decoding: value, as: UTF8.self)
        switch field {
        case "data":
            data = data.map { $0 + "\n" + text } ?? text
        case "event":
            event = text
        default:
            break  // id, retry and unknown fields
        }
    }
}
