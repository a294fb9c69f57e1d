import Foundation

/// Writing text into XML safely (spec §11: free text in CDATA, `]]>` split, numbers bare).
public enum XMLText {
    /// Whether a Unicode scalar may appear in an XML 1.0 document
    /// (`#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`).
    @inlinable
    public static func isLegal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// `text` without the scalars XML 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF).
    public static func removingIllegal(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy(isLegal) { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter(isLegal))
        return String(scalars)
    }

    /// One or more CDATA sections whose concatenated content is exactly `text`
    /// (after removing XML-illegal scalars): every `]]>` is split as `]]]]><![CDATA[>`.
    ///
    /// - Returns: e.g. `<![CDATA[a]]]]><![CDATA[>b]]>` for `a]]>b`.
    public static func cdata(_ text: String) -> String {
        let clean = removingIllegal(text)
        let bytes = clean.utf8
        var needsSplit = false
        var run = 0  // consecutive "]" seen
        for b in bytes {
            if b == UInt8(ascii: "]") { run += 1 } else { if b == UInt8(ascii: ">") && run >= 2 { needsSplit = true; break }; run = 0 }
        }
        let body = needsSplit ? clean.replacingOccurrences(of: "]]>", with: "]]]]><![CDATA[>") : clean
        return "<![CDATA[" + body + "]]>"
    }
}
