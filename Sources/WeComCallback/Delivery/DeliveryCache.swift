import Foundation

/// Remembers recent deliveries so that a retried one is answered once (spec §6.3–§6.4): shared by every
/// thread and every app of the process, and kept across configuration reloads.
///
/// Keys are (app, `MsgId`) for messages that carry one, else (app, SHA-256 of the decrypted
/// plaintext): system events have no MsgId, share `FromUserName` `sys` and often a `CreateTime`, but
/// their plaintexts differ. Bounded: at most `capacity` entries (the oldest is forgotten first), each
/// forgotten `ttl` after its first arrival.
public final class DeliveryCache: @unchecked Sendable {
    /// The default number of remembered deliveries (`[server] dedup_entries`).
    public static let defaultCapacity = 10_000
    /// The default time a delivery is remembered, in seconds (`[server] dedup_ttl_s`).
    public static let defaultTTLSeconds = 300

    /// Maximum number of remembered deliveries.
    public let capacity: Int
    /// How long a delivery is remembered after its first arrival, in seconds.
    public let ttl: TimeInterval
    private let lock = NSLock()
    private var entries: [String: (delivery: Delivery, firstSeen: Date)] = [:]  // guarded by `lock`
    private var order: [String] = []  // insertion order, oldest first; guarded by `lock`
    private var orderStart = 0  // index of the oldest live key in `order`; guarded by `lock`

    /// - Parameters:
    ///   - capacity: maximum entries; 0 disables deduplication (every arrival runs its action).
    ///   - ttl: seconds a delivery is remembered.
    public init(capacity: Int = defaultCapacity, ttl: TimeInterval = TimeInterval(defaultTTLSeconds)) {
        self.capacity = max(0, capacity)
        self.ttl = ttl
    }

    /// What an arrival is.
    public enum Claim {
        /// The first arrival: run the action and ``Delivery/finish(_:)`` the delivery.
        case first(Delivery)
        /// A retry of a delivery already seen.
        case retry(Delivery)
    }

    /// The cache key of a message.
    /// - Parameters:
    ///   - app: the app's name.
    ///   - msgID: the message's `MsgId`, if any.
    ///   - plaintext: the decrypted bytes (hashed when there is no MsgId).
    /// - Returns: `app` NUL `MsgId`, or `app` NUL `sha256:` hex.
    public static func key(app: String, msgID: String?, plaintext: [UInt8]) -> String {
        if let msgID, !msgID.isEmpty { return app + "\u{0}" + msgID }
        return app + "\u{0}sha256:" + Hex.lowercase(LibCrypto.sha256(plaintext) ?? plaintext)
    }

    /// Registers an arrival.
    /// - Parameters:
    ///   - key: from ``key(app:msgID:plaintext:)``.
    ///   - route: the route the first arrival runs (remembered for journaling retries).
    ///   - now: the arrival time.
    /// - Returns: `.first` with a new delivery, or `.retry` with the remembered one.
    public func claim(_ key: String, route: Int?, now: Date = Date()) -> Claim {
        guard capacity > 0 else { return .first(Delivery(route: route)) }
        lock.lock()
        defer { lock.unlock() }
        expire(now: now)
        if let existing = entries[key] { return .retry(existing.delivery) }
        let delivery = Delivery(route: route)
        entries[key] = (delivery, now)
        order.append(key)
        while entries.count > capacity, orderStart < order.count {
            entries[order[orderStart]] = nil
            orderStart += 1
        }
        compactOrder()
        return .first(delivery)
    }

    /// The number of remembered deliveries.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }

    private func expire(now: Date) {
        while orderStart < order.count {
            let key = order[orderStart]
            guard let entry = entries[key] else { orderStart += 1; continue }
            guard now.timeIntervalSince(entry.firstSeen) >= ttl else { break }
            entries[key] = nil
            orderStart += 1
        }
    }

    private func compactOrder() {
        if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
