/// Splits text into pieces of at most a number of UTF-8 bytes, for `message/send` text (2048 bytes).
///
/// Pieces end at `Character` (grapheme cluster) boundaries, so a character, emoji sequence or
/// `\r\n` is never cut; a single character larger than the limit (a base letter with thousands of
/// combining marks) is cut between its Unicode scalars, still never inside one. When a line break
/// ends within the last `newlineWindow` bytes of a full piece, the piece ends after that line break.
/// Concatenating the pieces gives the text back exactly.
public enum UTF8TextSplitter {
    /// Splits `text`.
    /// - Parameters:
    ///   - text: any text.
    ///   - maxBytes: the largest piece in UTF-8 bytes (at least 4).
    ///   - newlineWindow: how far back (bytes) from a piece's end a line break is preferred.
    /// - Returns: `[text]` when it fits (also for empty text), else the pieces in order.
    public static func split(_ text: String, maxBytes: Int = PassiveReply.Limit.textContent, newlineWindow: Int = 200) -> [String] {
        let limit = max(4, maxBytes)
        guard text.utf8.count > limit else { return [text] }
        var pieces: [String] = []
        var start = text.startIndex
        var bytes = 0
        var lastBreak: (index: String.Index, bytes: Int)?
        var i = text.startIndex
        while i < text.endIndex {
            let next = text.index(after: i)
            let size = text.utf8.distance(from: i, to: next)
            if bytes > 0, bytes + size > limit {
                var cut = (index: i, bytes: bytes)
                if let lastBreak, lastBreak.bytes >= bytes - newlineWindow { cut = lastBreak }
                pieces.append(String(text[start..<cut.index]))
                start = cut.index
                bytes -= cut.bytes
                lastBreak = nil
                continue
            }
            if size > limit {
                // One oversized grapheme cluster (bytes == 0 here): cut it between scalars.
                pieces += splitScalars(text[i..<next], limit: limit)
                start = next
                i = next
                continue
            }
            bytes += size
            if text[i].isNewline { lastBreak = (next, bytes) }
            i = next
        }
        if start < text.endIndex { pieces.append(String(text[start...])) }
        return pieces
    }

    private static func splitScalars(_ text: Substring, limit: Int) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            let size = UTF8.width(scalar)
            if bytes + size > limit {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
                bytes = 0
            }
            current.append(scalar)
            bytes += size
        }
        if bytes > 0 { pieces.append(String(current)) }
        return pieces
    }
}
