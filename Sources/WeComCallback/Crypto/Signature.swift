import Platform

/// `msg_signature`: lowercase hex SHA1 over the byte-sorted concatenation of
/// token, timestamp, nonce and the signed data (spec §3).
public enum Signature {
    /// Computes a `msg_signature`.
    ///
    /// - Parameters:
    ///   - token: the app's Token (UTF-8 text).
    ///   - timestamp: Unix seconds exactly as received or sent (decimal text, never reformatted).
    ///   - nonce: the nonce exactly as received or sent.
    ///   - data: the signed value: `echostr` (GET) or the `Encrypt` base64 text (POST and reply),
    ///     after percent-decoding.
    /// - Returns: 40 lowercase hex characters.
    /// - Throws: ``WXBizMsgCryptError/computeSignatureFailed`` when libcrypto cannot hash (-40003).
    public static func compute(token: String, timestamp: String, nonce: String, data: String)
        throws(WXBizMsgCryptError) -> String
    {
        // The four parts sorted by their UTF-8 bytes (the SDK's order) by a fixed network of five
        // compare-and-swaps on the bytes in place, then copied once into one buffer: no array of
        // strings, no closure and no byte-at-a-time append (the signature runs twice per callback).
        var (a, b, c, d) = (token, timestamp, nonce, data)
        func order(_ x: inout String, _ y: inout String) {
            if precedes(&y, &x) { swap(&x, &y) }
        }
        order(&a, &b); order(&c, &d); order(&a, &c); order(&b, &d); order(&b, &c)
        var input = [UInt8]()
        input.reserveCapacity(a.utf8.count + b.utf8.count + c.utf8.count + d.utf8.count)
        Bytes.append(a, to: &input)
        Bytes.append(b, to: &input)
        Bytes.append(c, to: &input)
        Bytes.append(d, to: &input)
        guard let digest = LibCrypto.sha1(input) else {
            throw .computeSignatureFailed
        }
        return Hex.lowercase(digest)
    }

    /// Whether the UTF-8 bytes of `x` sort before those of `y` (`x.utf8.lexicographicallyPrecedes(y.utf8)`),
    /// by `memcmp` on the contiguous bytes instead of two iterators.
    static func precedes(_ x: inout String, _ y: inout String) -> Bool {
        x.withUTF8 { xs in
            y.withUTF8 { ys in
                let common = min(xs.count, ys.count)
                if common > 0, let xp = xs.baseAddress, let yp = ys.baseAddress {
                    let order = memcmp(xp, yp, common)
                    if order != 0 { return order < 0 }
                }
                return xs.count < ys.count
            }
        }
    }

    /// Checks a received `msg_signature` in constant time (`CRYPTO_memcmp`).
    ///
    /// Upper-case hex is accepted; any other length or character simply does not match.
    /// - Returns: `true` when `msgSignature` equals ``compute(token:timestamp:nonce:data:)``.
    /// - Throws: ``WXBizMsgCryptError/computeSignatureFailed`` when libcrypto cannot hash (-40003).
    public static func verify(
        msgSignature: String, token: String, timestamp: String, nonce: String, data: String
    ) throws(WXBizMsgCryptError) -> Bool {
        let expected = try compute(token: token, timestamp: timestamp, nonce: nonce, data: data)
        var given = [UInt8]()
        Bytes.append(msgSignature, to: &given)
        for k in given.indices where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(given[k]) { given[k] += 32 }
        var wanted = [UInt8]()
        Bytes.append(expected, to: &wanted)
        return LibCrypto.constantTimeEqual(given, wanted)
    }
}

/// Lowercase hexadecimal text of bytes.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// - Returns: two characters per byte, high nibble first.
    static func lowercase(_ bytes: [UInt8]) -> String {
        // Written straight into the string's own storage (no intermediate array to copy and validate).
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            digits.withUnsafeBufferPointer { digits in
                for (k, b) in bytes.enumerated() {
                    out[2 * k] = digits[Int(b >> 4)]
                    out[2 * k + 1] = digits[Int(b & 0x0f)]
                }
            }
            return bytes.count * 2
        }
    }
}
