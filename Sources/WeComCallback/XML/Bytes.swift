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

    /// The index of the first byte at or after `start` that is not ASCII (≥ 0x80), or `bytes.count`:
    /// eight bytes at a time through unaligned loads (WeCom's XML, queries and base64 are ASCII).
    /// - Parameters:
    ///   - bytes: the bytes to scan.
    ///   - start: where to begin (0…`bytes.count`).
    @inline(__always)
    static func asciiPrefixEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int {
        var k = start
        if let base = bytes.baseAddress {
            while k + 8 <= bytes.count, UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                k += 8
            }
        }
        while k < bytes.count, bytes[k] < 0x80 { k += 1 }
        return k
    }
}
