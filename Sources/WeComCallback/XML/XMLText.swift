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
        if isLegalASCII(text) || text.unicodeScalars.allSatisfy(isLegal) { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter(isLegal))
        return String(scalars)
    }

    /// One or more CDATA sections whose concatenated content is exactly `text`
    /// (after removing XML-illegal scalars): every `]]>` is split as `]]]]><![CDATA[>`.
    ///
    /// - Returns: e.g. `<![CDATA[a]]]]><![CDATA[>b]]>` for `a]]>b`.
    public static func cdata(_ text: String) -> String {
        var out = ""
        appendCDATA(text, to: &out)
        return out
    }

    /// Appends ``cdata(_:)`` of `text` to `xml` in place (no intermediate strings: replies are built
    /// this way on every request).
    /// - Parameters:
    ///   - text: the text.
    ///   - xml: the markup being written.
    public static func appendCDATA(_ text: String, to xml: inout String) {
        let clean = removingIllegal(text)
        xml += "<![CDATA["
        xml += containsCDATAEnd(clean) ? clean.replacingOccurrences(of: "]]>", with: "]]]]><![CDATA[>") : clean
        xml += "]]>"
    }

    /// Appends ``cdata(_:)`` of `text` to `xml` as UTF-8 bytes.
    /// - Parameters:
    ///   - text: the text.
    ///   - xml: the markup being written, as bytes.
    public static func appendCDATA(_ text: String, to xml: inout [UInt8]) {
        let clean = removingIllegal(text)
        Bytes.append("<![CDATA[", to: &xml)
        if containsCDATAEnd(clean) {
            Bytes.append(clean.replacingOccurrences(of: "]]>", with: "]]]]><![CDATA[>"), to: &xml)
        } else {
            Bytes.append(clean, to: &xml)
        }
        Bytes.append("]]>", to: &xml)
    }

    /// Whether `text` contains `]]>`: each `>` (found with `memchr` on contiguous bytes) checked for
    /// two `]` before it.
    static func containsCDATAEnd(_ text: String) -> Bool {
        let found = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let base = bytes.baseAddress else { return false }
            var k = 0
            while k < bytes.count, let hit = memchr(base + k, Int32(UInt8(ascii: ">")), bytes.count - k) {
                k = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                if k >= 2, bytes[k - 1] == UInt8(ascii: "]"), bytes[k - 2] == UInt8(ascii: "]") { return true }
                k += 1
            }
            return false
        }
        return found ?? text.contains("]]>")
    }

    /// Whether `text` is printable ASCII, tab, LF and CR only (all legal in XML), checked on its bytes:
    /// the common case, without decoding scalars.
    static func isLegalASCII(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            let isLegal: (UInt8) -> Bool = { $0 >= 0x20 ? $0 < 0x80 : ($0 == 0x9 || $0 == 0xA || $0 == 0xD) }
            var k = 0
            // Eight bytes at a time: a word without a high bit and without a byte below 0x20 (the
            // "has less than" bit trick, exact for bytes below 0x80) is legal as a whole; a word with
            // a control byte is checked byte by byte (tab, LF and CR are legal).
            if let base = bytes.baseAddress {
                let high: UInt64 = 0x8080_8080_8080_8080, spaces: UInt64 = 0x2020_2020_2020_2020
                while k + 8 <= bytes.count {
                    let word = UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)
                    if word & high != 0 { return false }
                    if (word &- spaces) & ~word & high != 0 {
                        for j in k..<(k + 8) where !isLegal(bytes[j]) { return false }
                    }
                    k += 8
                }
            }
            for j in k..<bytes.count where !isLegal(bytes[j]) { return false }
            return true
        } ?? false
    }
}
