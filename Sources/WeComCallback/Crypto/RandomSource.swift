/// Where the 16 random bytes that open every plaintext buffer (spec §4.2) come from.
///
/// Production uses ``SystemRandom`` (OpenSSL `RAND_bytes`); tests inject fixed bytes to reproduce
/// published ciphertexts byte for byte.
public protocol RandomSource: Sendable {
    /// Returns exactly 16 bytes, or `nil` when no randomness is available.
    func randomPrefix() -> [UInt8]?
}

/// OpenSSL's CSPRNG (`RAND_bytes`).
public struct SystemRandom: RandomSource {
    public init() {}
    public func randomPrefix() -> [UInt8]? { LibCrypto.randomBytes(16) }
}

/// Always the same 16 bytes: for tests and deterministic fixtures only.
public struct FixedRandom: RandomSource {
    public let bytes: [UInt8]

    /// - Parameter bytes: exactly 16 bytes; other lengths make encryption fail with -40006.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func randomPrefix() -> [UInt8]? { bytes.count == 16 ? bytes : nil }
}
