/// A Lua script for Redis, with its SHA-1 computed once so that it is sent by digest.
///
/// ``RedisClient/eval(_:keys:arguments:)`` sends `EVALSHA sha1 …` (about 40 bytes instead of the whole
/// script, and Redis skips hashing the body); Redis answers `NOSCRIPT` when it does not hold the script
/// yet (first use, a restarted server, `SCRIPT FLUSH`), and the client then sends `EVAL script …`, which
/// runs it and caches it for the next `EVALSHA`.
public struct RedisScript: Sendable, Equatable {
    /// The Lua source, as sent by `EVAL`.
    public let source: String
    /// The SHA-1 of `source`'s UTF-8 bytes, 40 lowercase hex digits (what Redis keys its script cache by).
    public let sha1: String

    /// - Parameter source: the Lua source.
    public init(_ source: String) {
        self.source = source
        sha1 = Hex.lowercase(LibCrypto.sha1(Array(source.utf8)) ?? [])
    }
}
