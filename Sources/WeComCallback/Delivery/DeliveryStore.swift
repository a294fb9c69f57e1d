/// Where deliveries are remembered: the seam between the delivery stages and the state they share
/// (in this process by default; across hosts through a shared store).
///
/// Every call is made by request threads and program threads at once; an implementation is
/// thread-safe. The rules themselves are ``DeliveryStateMachine``'s; a store keeps one machine per
/// ``DeliveryKey`` for at least its time to live (at least the replay window, `[server]
/// max_timestamp_skew_s` × 2) and carries out what the machine decides.
public protocol DeliveryStore: Sendable {
    /// Registers an arrival.
    /// - Parameters:
    ///   - key: the delivery.
    ///   - route: the index of the route the first arrival runs (remembered for journaling retries).
    ///   - now: the arrival time (monotonic).
    /// - Returns: `.first` (this arrival runs the action and must ``finish(_:reply:failure:)`` it) or
    ///   `.retry` with the first arrival's route, each with the key to use from now on (with deduplication
    ///   off, a key of this arrival's own).
    func claim(_ key: DeliveryKey, route: Int?, now: ContinuousClock.Instant) -> DeliveryClaim

    /// Records the action's result.
    /// - Parameters:
    ///   - key: the claimed delivery.
    ///   - reply: the passive reply, or `nil` for none.
    ///   - failure: why the action failed, when it failed without an `on_error` reply.
    /// - Returns: whether waiting arrivals answer with it or the caller must deliver it late.
    func finish(_ key: DeliveryKey, reply: PassiveReply?, failure: String?) -> DeliveryStateMachine.FinishAction

    /// Waits for the delivery's answer, at most until `deadline`; past it a delivery still running has
    /// missed its budget.
    /// - Parameters:
    ///   - key: the delivery.
    ///   - deadline: the end of this arrival's reply budget (monotonic).
    /// - Returns: the answer this arrival gives. A key the store no longer knows answers `.missedBudget`.
    func answer(for key: DeliveryKey, waitingUntil deadline: ContinuousClock.Instant) -> DeliveryStateMachine.Answer
}

/// What an arrival is.
public enum DeliveryClaim: Sendable, Equatable {
    /// The first arrival: run the action; the delivery is kept under `key`.
    case first(DeliveryKey)
    /// A retry of a delivery already seen, kept under `key`; the route its first arrival ran.
    case retry(DeliveryKey, route: Int?)

    /// The key the delivery is kept under.
    public var key: DeliveryKey {
        switch self {
        case .first(let key), .retry(let key, _): return key
        }
    }
}
