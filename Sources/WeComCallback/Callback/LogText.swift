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
        if text.utf8.count <= limit, isPrintableASCII(text) { return text }
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

    /// Whether every byte of `text` is printable ASCII (0x20…0x7E), checked on its contiguous UTF-8
    /// (the generic `utf8.allSatisfy` iterated byte by byte through the string's index type).
    static func isPrintableASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for byte in bytes where byte < 0x20 || byte >= 0x7F { return false }
            return true
        }
    }
}
