/// Whether this host uses Redis right now, as a value driven by plain events and a monotonic instant
/// (tests use a fake clock).
///
/// A failed operation marks Redis down: for `backoff` no operation tries it (each would cost up to
/// `timeout_ms` of a request's budget), then the next one tries again. The transitions tell the caller
/// when to log: once when Redis is lost, once when it is regained.
public struct RedisHealth: Sendable, Equatable {
    /// A change worth one log line.
    public enum Transition: Sendable, Equatable {
        /// Nothing changed.
        case none
        /// Redis was in use and an operation failed.
        case lost
        /// Redis was down and an operation succeeded.
        case regained
    }

    /// How long after a failure Redis is not tried.
    public let backoff: Duration
    /// Whether the last operation succeeded (Redis is assumed up at start).
    public private(set) var isUp = true
    /// While down: the instant from which Redis is tried again.
    public private(set) var retryAt: ContinuousClock.Instant?

    /// - Parameter backoff: how long after a failure Redis is not tried.
    public init(backoff: Duration = .seconds(1)) { self.backoff = backoff }

    /// Whether an operation starting at `now` tries Redis (else it uses the local store at once).
    public func shouldTry(at now: ContinuousClock.Instant) -> Bool {
        guard let retryAt else { return true }
        return now >= retryAt
    }

    /// An operation succeeded.
    public mutating func succeeded() -> Transition {
        retryAt = nil
        if isUp { return .none }
        isUp = true
        return .regained
    }

    /// An operation failed at `now`.
    public mutating func failed(at now: ContinuousClock.Instant) -> Transition {
        retryAt = now + backoff
        if !isUp { return .none }
        isUp = false
        return .lost
    }
}
