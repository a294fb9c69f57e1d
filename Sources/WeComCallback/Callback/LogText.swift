/// Makes untrusted text safe for a one-line log entry: control characters (newline, ESC, DEL …) are
/// shown as `\u{…}` escapes and the result is cut to a bounded length, so a request cannot forge log
/// lines, move the terminal cursor or flood the log.
enum LogText {
    /// The longest field kept, in Unicode scalars (more is cut and marked with `…`).
    static let defaultLimit = 200

    /// - Parameters:
    ///   - text: untrusted text (a path, MsgId, MsgType, an error reason).
    ///   - limit: the most scalars kept.
    /// - Returns: printable one-line text.
    static func sanitize(_ text: String, limit: Int = defaultLimit) -> String {
        // The common case (printable ASCII within the limit) is returned as it is: this runs several
        // times for every request's log line.
        if text.utf8.count <= limit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out.append("…")
                break
            }
            switch scalar.value {
            case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x2028, 0x2029:
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default:
                out.append(scalar)
            }
            count += 1
        }
        return String(out)
    }
}
