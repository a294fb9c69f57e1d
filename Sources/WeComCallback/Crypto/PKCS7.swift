/// PKCS#7 padding to a multiple of **32** bytes, as WXBizMsgCrypt uses it (spec §4.3).
///
/// The pad value is 1…32; a buffer that is already a multiple of 32 gets a full block of 32 × 0x20.
public enum PKCS7 {
    /// The block size WeCom pads to, in bytes.
    public static let blockSize = 32

    /// Returns `buffer` with 1…32 pad bytes appended, each equal to the pad count.
    public static func pad(_ buffer: [UInt8]) -> [UInt8] {
        var padded = buffer
        padInPlace(&padded)
        return padded
    }

    /// Appends the 1…32 pad bytes of ``pad(_:)`` to `buffer` itself.
    static func padInPlace(_ buffer: inout [UInt8]) {
        let count = blockSize - buffer.count % blockSize
        buffer.append(contentsOf: repeatElement(UInt8(count), count: count))
    }

    /// Strips the padding after checking it (spec §4.4 step 4).
    ///
    /// - Parameter buffer: decrypted bytes (any length; ciphertexts padded to 16 are accepted).
    /// - Returns: the bytes before the padding.
    /// - Throws: ``WXBizMsgCryptError/illegalBuffer(_:)`` (-40008) when the buffer is empty, the last byte
    ///   is outside 1…32 or larger than the buffer, or any of the last `pad` bytes differs from it.
    public static func unpad(_ buffer: [UInt8]) throws(WXBizMsgCryptError) -> ArraySlice<UInt8> {
        guard let last = buffer.last else { throw .illegalBuffer("empty plaintext") }
        let count = Int(last)
        guard count >= 1, count <= blockSize else { throw .illegalBuffer("pad value \(count) outside 1…32") }
        guard count <= buffer.count else { throw .illegalBuffer("pad value \(count) exceeds length \(buffer.count)") }
        let start = buffer.count - count
        for i in start..<buffer.count where buffer[i] != last {
            throw .illegalBuffer("inconsistent pad bytes")
        }
        return buffer[..<start]
    }
}
