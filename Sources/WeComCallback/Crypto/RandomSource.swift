import Platform

/// Where the 16 random bytes that open every plaintext buffer (spec §4.2) come from.
///
/// Production uses ``SystemRandom`` (OpenSSL `RAND_bytes`); tests inject fixed bytes to reproduce
/// published ciphertexts byte for byte.
public protocol RandomSource: Sendable {
    /// Returns exactly 16 bytes, or `nil` when no randomness is available.
    func randomPrefix() -> [UInt8]?
}

/// OpenSSL's CSPRNG (`RAND_bytes`), drawn 4 KiB at a time.
///
/// One `RAND_bytes` call costs about as much as encrypting the reply (OpenSSL 3 finds the thread's DRBG,
/// checks its reseed state and runs CTR-DRBG for every call), so the process draws 4,096 bytes at once
/// and hands out 16 of them per reply, each byte once, under one lock; that is one draw per 256 replies.
/// The bytes are the same CSPRNG output; they are only the per-message prefix of spec §4.2 (not key
/// material), and nothing forks without exec'ing. Each value has its own pool (an app's
/// ``WXBizMsgCrypt`` holds one for the life of its configuration), empty until the first prefix.
public struct SystemRandom: RandomSource {
    private let pool = RandomPool()
    public init() {}
    public func randomPrefix() -> [UInt8]? { pool.take(16) }
}

/// A buffer of CSPRNG bytes behind one ``SystemRandom``.
final class RandomPool: Sendable {
    /// Bytes drawn per `RAND_bytes` call.
    static let drawBytes = 4096

    private let pool = Locked<(bytes: [UInt8], used: Int)>(([], 0))

    /// `count` (at most ``drawBytes``) fresh random bytes, never handed out before; `nil` when
    /// `RAND_bytes` fails.
    func take(_ count: Int) -> [UInt8]? {
        guard count <= Self.drawBytes else { return LibCrypto.randomBytes(count) }
        return pool.withLock { pool -> [UInt8]? in
            if pool.used + count > pool.bytes.count {
                guard let fresh = LibCrypto.randomBytes(Self.drawBytes) else { return nil }
                pool = (fresh, 0)
            }
            defer { pool.used += count }
            return Array(pool.bytes[pool.used..<(pool.used + count)])
        }
    }
}

/// Always the same 16 bytes: for tests and deterministic fixtures only.
public struct FixedRandom: RandomSource {
    public let bytes: [UInt8]

    /// - Parameter bytes: exactly 16 bytes; other lengths make encryption fail with -40006.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func randomPrefix() -> [UInt8]? { bytes.count == 16 ? bytes : nil }
}
