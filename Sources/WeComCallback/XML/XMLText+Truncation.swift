extension XMLText {
    /// `text` cut to at most `maxBytes` UTF-8 bytes at a Unicode scalar boundary (never inside a
    /// multi-byte sequence), for the byte limits of passive replies (spec §10.1).
    /// - Parameters:
    ///   - text: any string.
    ///   - maxBytes: the limit in UTF-8 bytes (e.g. 2048 for text `Content`).
    /// - Returns: `text` itself when short enough, else its longest scalar-aligned prefix that fits
    ///   (e.g. 700 × "中" → 682 × "中" = 2046 bytes for 2048).
    public static func truncatedUTF8(_ text: String, maxBytes: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return text }
        guard maxBytes > 0 else { return "" }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        // Step back over continuation bytes (10xxxxxx) to the start of the cut scalar.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 {
            end = utf8.index(before: end)
        }
        return String(decoding: utf8[utf8.startIndex..<end], as: UTF8.self)
    }
}
