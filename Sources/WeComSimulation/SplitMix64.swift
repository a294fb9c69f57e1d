import WeComCallback

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, **non-cryptographic** pseudo-random
/// generator, used only to make simulated traffic and curl fixtures reproducible from a seed.
///
/// Never use it for real traffic: ``SystemRandom`` is the source for replies. Every derived value
/// (bytes, decimal strings) is computed here from ``next()`` alone, so the output for a seed never
/// depends on the standard library's random algorithms.
public struct SplitMix64: Sendable, Equatable {
    /// The internal 64-bit state; advanced by the golden-ratio increment on every ``next()``.
    public private(set) var state: UInt64

    /// - Parameter seed: any 64-bit value; the same seed yields the same sequence on every platform.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64-bit output.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes, eight per output, little-endian.
    /// - Parameter count: number of bytes (e.g. 16 for a WXBizMsgCrypt random prefix).
    /// - Returns: exactly `count` bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(word & 0xff))
                word >>= 8
            }
        }
        return out
    }

    /// A decimal string of exactly `count` digits whose first digit is not zero (like WeCom's nonces
    /// and echostr plaintexts), one output per digit (`next() % 10`; the bias is irrelevant here).
    /// - Parameter count: number of digits, at least 1.
    /// - Returns: `count` ASCII digits.
    public mutating func decimalDigits(_ count: Int) -> String {
        var digits = [UInt8]()
        digits.reserveCapacity(max(count, 1))
        for index in 0..<max(count, 1) {
            let digit = index == 0 ? 1 + next() % 9 : next() % 10
            digits.append(UInt8(ascii: "0") + UInt8(digit))
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
