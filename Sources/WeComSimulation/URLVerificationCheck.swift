import WeComCallback

/// Judges a server's answer to WeCom's URL-verification GET (spec §5.2): HTTP 200 and a body that is
/// exactly the decrypted echostr — no BOM, quotes, newline or whitespace.
public enum URLVerificationCheck {
    /// The verdict: pass, or fail with the reason in words.
    public enum Verdict: Sendable, Equatable {
        /// Status 200 and the exact plaintext.
        case pass
        /// Anything else; the reason says what differs (e.g. `body has a trailing newline`).
        case fail(String)
    }

    /// Compares a response with the expected plaintext.
    /// - Parameters:
    ///   - status: the HTTP status received.
    ///   - body: the body bytes received.
    ///   - echostr: the plaintext that was encrypted into `echostr`.
    /// - Returns: ``Verdict/pass`` or ``Verdict/fail(_:)`` with the most specific reason found.
    public static func judge(status: Int, body: [UInt8], echostr: String) -> Verdict {
        let expected = Array(echostr.utf8)
        guard status == 200 else {
            return .fail("status \(status), expected 200" + (body.isEmpty ? "" : " (body: \(excerpt(body)))"))
        }
        if body == expected { return .pass }
        if body.isEmpty { return .fail("body is empty, expected the \(expected.count)-byte echostr plaintext") }
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        if body.starts(with: bom) {
            let rest = Array(body.dropFirst(3))
            return .fail("body starts with a UTF-8 BOM (EF BB BF)" + (rest == expected ? "" : "; the rest differs too: \(excerpt(rest))"))
        }
        if body == expected + [0x0A] || body == expected + [0x0D, 0x0A] {
            return .fail("body has a trailing newline: \(excerpt(body))")
        }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        var trimmed = ArraySlice(body)
        while let first = trimmed.first, whitespace.contains(first) { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, whitespace.contains(last) { trimmed = trimmed.dropLast() }
        if Array(trimmed) == expected { return .fail("body has extra whitespace around the echostr: \(excerpt(body))") }
        if Array(trimmed) == [0x22] + expected + [0x22] { return .fail("body is quoted (a JSON string?): \(excerpt(body))") }
        if body.count > expected.count, containsSequence(body, expected) {
            return .fail("body contains the echostr but other bytes too: \(excerpt(body))")
        }
        return .fail("body differs: expected \(excerpt(expected)), got \(excerpt(body))")
    }

    static func containsSequence(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    /// At most 80 bytes, shown as a quoted string with `\n`, `\r`, `\t`, `\"` and `\xNN` escapes, and
    /// the total length.
    static func excerpt(_ bytes: [UInt8]) -> String {
        var out = "\""
        for byte in bytes.prefix(80) {
            switch byte {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20...0x7E: out += String(UnicodeScalar(byte))
            default:
                let hex = Array("0123456789abcdef")
                out += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0f)])
            }
        }
        return out + (bytes.count > 80 ? "…\"" : "\"") + " (\(bytes.count) bytes)"
    }
}
