/// The in-process table of deliveries, as a value: one ``DeliveryStateMachine`` per key, bounded in
/// count and forgotten `ttl` after the first arrival. Every time comes in as an argument (a monotonic
/// instant), so tests drive it with a fake clock.
public struct DeliveryTable: Sendable {
    /// Maximum number of remembered deliveries; 0 turns deduplication off (every arrival is first).
    public let capacity: Int
    /// How long a delivery is remembered after its first arrival.
    public let ttl: Duration

    struct Entry: Sendable {
        var machine: DeliveryStateMachine
        var route: Int?
        var firstSeen: ContinuousClock.Instant
    }

    private var entries: [DeliveryKey: Entry] = [:]
    /// Keys in order of first arrival, oldest first, from `orderStart` on.
    private var order: [DeliveryKey] = []
    private var orderStart = 0
    /// With deduplication off, each arrival gets a key of its own (the message key and a serial).
    private var serial = 0

    /// - Parameters:
    ///   - capacity: maximum entries; 0 turns deduplication off.
    ///   - ttl: how long a delivery is remembered.
    public init(capacity: Int, ttl: Duration) {
        self.capacity = max(0, capacity)
        self.ttl = ttl
    }

    /// The number of remembered deliveries.
    public var count: Int { entries.count }

    /// Registers an arrival (see ``DeliveryStore/claim(_:route:now:)``).
    /// - Returns: the claim, with the key the delivery is kept under (with deduplication off, a key of
    ///   this arrival's own).
    public mutating func claim(_ key: DeliveryKey, route: Int?, now: ContinuousClock.Instant) -> DeliveryClaim {
        expire(now: now)
        var key = key
        if capacity == 0 {
            serial += 1
            key = DeliveryKey(rawValue: key.rawValue + "\u{0}#\(serial)")
        } else if let existing = entries[key] {
            return .retry(key, route: existing.route)
        }
        entries[key] = Entry(machine: DeliveryStateMachine(), route: route, firstSeen: now)
        order.append(key)
        // Without deduplication each arrival is remembered only while it may still be answered: a bounded few.
        let limit = capacity == 0 ? 4096 : capacity
        while entries.count > limit, orderStart < order.count {
            entries[order[orderStart]] = nil
            orderStart += 1
        }
        if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        return .first(key)
    }

    /// The machine of a delivery, if it is remembered.
    public func machine(_ key: DeliveryKey) -> DeliveryStateMachine? { entries[key]?.machine }

    /// Applies `event` to a remembered delivery's machine.
    /// - Returns: what the machine decided, or `nil` for a key that is not remembered.
    public mutating func update<Result>(_ key: DeliveryKey, _ event: (inout DeliveryStateMachine) -> Result) -> Result? {
        guard var entry = entries[key] else { return nil }
        let result = event(&entry.machine)
        entries[key] = entry
        return result
    }

    /// Forgets the deliveries first seen `ttl` or longer before `now`.
    public mutating func expire(now: ContinuousClock.Instant) {
        while orderStart < order.count {
            let key = order[orderStart]
            guard let entry = entries[key] else { orderStart += 1; continue }
            guard now - entry.firstSeen >= ttl else { break }
            entries[key] = nil
            orderStart += 1
        }
    }
}
