import Platform

/// The default ``DeliveryStore``: a ``DeliveryTable`` in this process's memory behind one ``Locked``,
/// shared by every thread and every app, and kept across configuration reloads.
///
/// Arrivals that wait for a running action sleep on the lock's condition and are woken when the action
/// finishes; deadlines are monotonic.
public final class InMemoryDeliveryStore: DeliveryStore {
    /// The default number of remembered deliveries (`[server] dedup_entries`).
    public static let defaultCapacity = 10_000
    /// The default time a delivery is remembered, in seconds (`[server] dedup_ttl_s`).
    public static let defaultTTLSeconds = 600

    private let table: Locked<DeliveryTable>

    /// - Parameters:
    ///   - capacity: maximum remembered deliveries (the oldest is forgotten first); 0 turns
    ///     deduplication off (every arrival runs its action).
    ///   - ttl: how long a delivery is remembered after its first arrival.
    public init(capacity: Int = defaultCapacity, ttl: Duration = .seconds(defaultTTLSeconds)) {
        table = Locked(DeliveryTable(capacity: capacity, ttl: ttl))
    }

    /// Maximum remembered deliveries.
    public var capacity: Int { table.withLock { $0.capacity } }
    /// How long a delivery is remembered.
    public var ttl: Duration { table.withLock { $0.ttl } }
    /// The number of remembered deliveries.
    public var count: Int { table.withLock { $0.count } }

    /// The state machine of a remembered delivery, if any (shared stores that keep this one as the
    /// host's local state).
    public func machine(_ key: DeliveryKey) -> DeliveryStateMachine? { table.withLock { $0.machine(key) } }

    /// Whether `key` is remembered.
    public func contains(_ key: DeliveryKey) -> Bool { machine(key) != nil }

    public func claim(_ key: DeliveryKey, route: Int?, now: ContinuousClock.Instant) -> DeliveryClaim {
        table.withLock { $0.claim(key, route: route, now: now) }
    }

    public func finish(_ key: DeliveryKey, reply: PassiveReply?, failure: String?) -> DeliveryStateMachine.FinishAction {
        // A delivery forgotten while its action ran (capacity pressure) can no longer be answered passively.
        table.withLockAndBroadcast { $0.update(key) { $0.actionFinished(reply: reply, failure: failure) } }
            ?? .deliverLate(reply, failure: failure)
    }

    public func answer(for key: DeliveryKey, waitingUntil deadline: ContinuousClock.Instant) -> DeliveryStateMachine.Answer {
        // The usual case, an action that already finished (or a key no longer known), in one lookup
        // without the waiting machinery.
        switch table.withLock({ table in table.machine(key).map(\.answer) }) {
        case nil: return .missedBudget
        case let answer??: return answer
        case .some(nil): break
        }
        return table.wait(until: deadline, while: { $0.machine(key).map { $0.answer == nil } ?? false }) { table, timedOut in
            guard let machine = table.machine(key) else { return .missedBudget }
            if let answer = machine.answer { return answer }
            return timedOut ? (table.update(key) { $0.budgetEnded() } ?? .missedBudget) : .missedBudget
        }
    }
}
