/// The in-process table of deliveries, as a value: one ``DeliveryStateMachine`` per key, bounded in
/// count and forgotten `ttl` after the first arrival. Every time comes in as an argument (a monotonic
/// instant), so tests drive it with a fake clock.
///
/// Over capacity the oldest delivery whose action has finished is forgotten first: forgetting one whose
/// action still runs would let its next retry run the action a second time (and its waiting arrivals
/// answer empty at once). Only when every remembered delivery is still running is the oldest of them
/// forgotten, so memory stays bounded.
public struct DeliveryTable: Sendable {
    /// Maximum number of remembered deliveries; 0 turns deduplication off (every arrival is first).
    public let capacity: Int
    /// How long a delivery is remembered after its first arrival.
    public let ttl: Duration

    struct Entry: Sendable {
        var machine: DeliveryStateMachine
        var route: Int?
        var firstSeen: ContinuousClock.Instant
        /// The claim's serial: tells this entry from an earlier one under the same key in ``order``.
        var serial: Int
    }

    private var entries: [DeliveryKey: Entry] = [:]
    /// Keys in order of first arrival, oldest first, from `orderStart` on, each with its entry's serial
    /// (a position whose serial no longer matches was forgotten out of order).
    private var order: [(key: DeliveryKey, serial: Int)] = []
    private var orderStart = 0
    /// Deliveries past their time to live whose action is still running: kept (a retry must still find
    /// them) until the action finishes, then forgotten on the next ``expire(now:)``.
    private var lingering: [(key: DeliveryKey, serial: Int)] = []
    /// Counts claims: the serial of each entry; with deduplication off, also each arrival's own key.
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
        if capacity > 0, let existing = entries[key] {
            return .retry(key, route: existing.route)
        }
        serial += 1
        if capacity == 0 {
            key = DeliveryKey(rawValue: key.rawValue + "\u{0}#\(serial)")
        }
        entries[key] = Entry(machine: DeliveryStateMachine(), route: route, firstSeen: now, serial: serial)
        order.append((key, serial))
        // Without deduplication each arrival is remembered only while it may still be answered: a bounded few.
        let limit = capacity == 0 ? 4096 : capacity
        while entries.count > limit, forgetOldest() {}
        // Forgotten positions are dropped once they are a quarter of the list: it stays under 4/3 of the
        // remembered deliveries, so its storage for the default 10,000 is 16,384 slots, not 32,768 (0.5 MiB).
        if orderStart > 1024 && orderStart * 4 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        return .first(key)
    }

    /// Where in ``entries`` the entry `position` in ``order`` was appended for is, if it is still there.
    private func current(_ position: Int) -> Dictionary<DeliveryKey, Entry>.Index? {
        let (key, serial) = order[position]
        guard let index = entries.index(forKey: key), entries.values[index].serial == serial else { return nil }
        return index
    }

    /// Forgets the oldest delivery whose action has finished, else (all still running) the oldest one.
    /// - Returns: `false` when nothing is left to forget.
    private mutating func forgetOldest() -> Bool {
        // One lookup per position: the oldest current one is usually finished and is the victim.
        var oldest: Dictionary<DeliveryKey, Entry>.Index?
        while orderStart < order.count {
            oldest = current(orderStart)
            if oldest != nil { break }
            orderStart += 1
        }
        guard let oldest else { return false }
        if !entries.values[oldest].machine.isActionRunning {
            entries.remove(at: oldest)
            orderStart += 1
            return true
        }
        for position in (orderStart + 1)..<order.count {
            if let index = current(position), !entries.values[index].machine.isActionRunning {
                entries.remove(at: index)
                return true
            }
        }
        entries.remove(at: oldest)
        orderStart += 1
        return true
    }

    /// The machine of a delivery, if it is remembered.
    public func machine(_ key: DeliveryKey) -> DeliveryStateMachine? { entries[key]?.machine }

    /// Applies `event` to a remembered delivery's machine (one lookup, the machine changed in place).
    /// - Returns: what the machine decided, or `nil` for a key that is not remembered.
    public mutating func update<Result>(_ key: DeliveryKey, _ event: (inout DeliveryStateMachine) -> Result) -> Result? {
        guard let index = entries.index(forKey: key) else { return nil }
        return event(&entries.values[index].machine)
    }

    /// Forgets the deliveries first seen `ttl` or longer before `now`.
    public mutating func expire(now: ContinuousClock.Instant) {
        lingering.removeAll { item in
            guard let entry = entries[item.key], entry.serial == item.serial else { return true }
            guard !entry.machine.isActionRunning else { return false }
            entries[item.key] = nil
            return true
        }
        while orderStart < order.count {
            let item = order[orderStart]
            guard let entry = entries[item.key], entry.serial == item.serial else { orderStart += 1; continue }
            guard now - entry.firstSeen >= ttl else { break }
            // A program may run longer than the TTL: its delivery stays until it finishes, so a retry
            // arriving meanwhile still waits for it instead of running it again.
            if entry.machine.isActionRunning {
                lingering.append(item)
            } else {
                entries[item.key] = nil
            }
            orderStart += 1
        }
    }

}
