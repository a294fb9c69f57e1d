/// Bulk copies of a string's UTF-8 bytes into a byte buffer.
///
/// Replies, envelopes, signatures and log lines are built by appending dozens of strings to one
/// `[UInt8]`; `buffer += text.utf8` goes through the generic sequence path (about 180 instructions a
/// piece), this through the string's contiguous storage and one bulk copy (about 70).
enum Bytes {
    /// Appends the UTF-8 bytes of `text` to `buffer` (the same bytes as `buffer += text.utf8`).
    @inline(__always)
    static func append(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
    }
}
