import Logging

extension CallbackHandler {
    /// What the stages tell the request line: filled in as the request goes through them.
    struct RequestLog {
        var method: String
        var path: String
        var app: String?
        var summary = "-"
        var msgID: String?
        var failure: String?
    }

    /// Middleware: times `body`, counts the response per app and status, and logs one line for it —
    /// info for a normal answer, notice for a refused request (4xx), error when an authenticated message
    /// could not be handled (200 with an empty body). Method, path, MsgType, MsgId and reasons come from
    /// the request: escaped and bounded, never message content.
    /// - Parameters:
    ///   - request: the request.
    ///   - body: the stages; gets the start instant and the log to fill in.
    /// - Returns: what `body` answered.
    func logAndCount(_ request: CallbackRequest,
                     _ body: (_ started: ContinuousClock.Instant, _ log: inout RequestLog) -> CallbackResponse) -> CallbackResponse {
        let started = ContinuousClock.now
        var log = RequestLog(method: request.method, path: request.path)
        let response = body(started, &log)
        let elapsed = ContinuousClock.now - started
        let app = log.app ?? "-"
        if let counters = appCounters[app] {
            counters.request(status: response.status, duration: elapsed)
        } else {
            metrics?.request(app: app, status: response.status, duration: elapsed)
        }
        let level: Logger.Level = log.failure == nil ? .info : (response.status == 200 ? .error : .notice)
        logger.log(level: level, "\(Self.requestLine(log, status: response.status, elapsed: elapsed))")
        return response
    }

    /// The request line: `POST /wecom/callback 200 app=hr msg=text msgid=… 0.05ms[ error="…"]`.
    ///
    /// Appended piece by piece as bytes into one buffer sized up front (one interpolation of a dozen
    /// pieces built and copied several intermediate strings on every request).
    static func requestLine(_ log: RequestLog, status: Int, elapsed: Duration) -> String {
        var line = [UInt8]()
        line.reserveCapacity(160)
        Bytes.append(LogText.sanitize(log.method, limit: 16), to: &line)
        Bytes.append(" ", to: &line)
        Bytes.append(LogText.sanitize(log.path), to: &line)
        Bytes.append(" ", to: &line)
        Bytes.append(String(status), to: &line)
        Bytes.append(" app=", to: &line)
        Bytes.append(log.app ?? "-", to: &line)
        Bytes.append(" msg=", to: &line)
        Bytes.append(LogText.sanitize(log.summary, limit: 64), to: &line)
        Bytes.append(" msgid=", to: &line)
        Bytes.append(log.msgID.map { LogText.sanitize($0, limit: 64) } ?? "-", to: &line)
        Bytes.append(" ", to: &line)
        appendMilliseconds(elapsed, to: &line)
        Bytes.append("ms", to: &line)
        if let failure = log.failure {
            Bytes.append(" error=\"", to: &line)
            Bytes.append(LogText.sanitize(failure), to: &line)
            Bytes.append("\"", to: &line)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// `duration` in milliseconds with two decimals, rounded half up (`0.43`, `12.00`), for the log line;
    /// `-` for a negative or absurd duration.
    static func milliseconds(_ duration: Duration) -> String {
        var text = [UInt8]()
        appendMilliseconds(duration, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends ``milliseconds(_:)`` of `duration` to `line` as bytes.
    ///
    /// Integer arithmetic and digits written in place: `String(format:)` goes through Foundation's
    /// CFString formatter, and an interpolation of the parts built three strings per request.
    static func appendMilliseconds(_ duration: Duration, to line: inout [UInt8]) {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0, seconds < 1_000_000_000 else {
            line.append(UInt8(ascii: "-"))
            return
        }
        // Hundredths of a millisecond = 10 µs = 10^13 attoseconds.
        let hundredths = seconds * 100_000 + (attoseconds + 5_000_000_000_000) / 10_000_000_000_000
        var whole = hundredths / 100
        let fraction = hundredths % 100
        // The whole milliseconds, at most 15 digits (seconds < 10^9), most significant first.
        var digits: (UInt64, UInt64) = (0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[15 - count] = UInt8(ascii: "0") + UInt8(whole % 10)
                whole /= 10
                count += 1
            } while whole > 0
            line.append(contentsOf: buffer[(16 - count)...])
        }
        line.append(UInt8(ascii: "."))
        line.append(UInt8(ascii: "0") + UInt8(fraction / 10))
        line.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}
