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
        var parts = [token, timestamp, nonce, data]
        // Sorted by their UTF-8 bytes (the SDK's order), compared in place without copying each part
        // into an array first.
        parts.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        // Bulk appends: `Array(parts.joined())` copies a flattened sequence byte by byte (about a tenth
        // of a whole callback's CPU time for a 400-byte message, signed twice).
        var input = [UInt8]()
        input.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count })
        for part in parts { input.append(contentsOf: part.utf8) }
        guard let digest = LibCrypto.sha1(input) else {
            throw .computeSignatureFailed
        }
        return Hex.lowercase(digest)
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
        let given = Array(msgSignature.utf8).map { c -> UInt8 in
            (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c) ? c + 32 : c
        }
        return LibCrypto.constantTimeEqual(given, Array(expected.utf8))
    }
}

/// Lowercase hexadecimal text of bytes.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func lowercase(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
