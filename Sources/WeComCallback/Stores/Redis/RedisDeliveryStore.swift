import Foundation
import Platform

/// The ``DeliveryStore`` of several hosts sharing one Redis (`[cluster]`): a retry of a delivery on any
/// host is answered from the first arrival's outcome, and the action runs once.
///
/// Per delivery key (`<prefix>delivery:<SHA-256 of the key>`), three Redis keys:
/// - `:lease` — the owner running the action: `SET NX PX` with a short lease (``leaseDuration``),
///   renewed by this host every third of it while the action runs, deleted when the outcome is recorded.
///   When the owner dies the lease runs out, and the next arrival on any host takes the claim over and
///   runs the action (at least once across a crash, exactly once otherwise).
/// - `:outcome` — the ``StoredOutcome``, the reply sealed with the app's key, kept for the delivery's
///   time to live (at least the replay window). Recorded only while the recorder still holds the lease
///   (or nobody does): a late outcome from a host that lost its lease is not written over the new
///   owner's.
/// - `:route` — the route the first arrival ran (journaling retries).
///
/// Arrivals on the owner's host wait in the local ``InMemoryDeliveryStore`` (woken at once, and its
/// state machine decides a missed budget); arrivals on other hosts poll `:outcome` until their own
/// budget ends. When Redis is down every call falls back to the local store (``RedisCluster``).
///
/// A later `RedisStreamStore` (AI-bot streams) follows the same pattern: run through
/// ``RedisCluster/run(_:store:_:)``, content sealed with the bot's key, local fallback.
public final class RedisDeliveryStore: DeliveryStore {
    /// The default lease: long enough to survive a slow Redis round trip, short enough that WeCom's
    /// next retry (about 5 s later) finds the lease of a dead host gone.
    public static let defaultLease: Duration = .seconds(3)

    /// The shared Redis.
    public let cluster: RedisCluster
    /// The local store: this host's own arrivals, and everything while Redis is down.
    public let local: InMemoryDeliveryStore
    /// How long a delivery is remembered (outcome and route TTL).
    public let ttl: Duration
    /// The lease of a running action.
    public let leaseDuration: Duration
    /// How often a retry on another host looks for the outcome.
    public let pollInterval: Duration
    /// Whether held leases are renewed (tests turn it off to play a host that stalls).
    let renews: Bool

    private struct State {
        /// Leases this host holds: the owner value per key, and the app of the key.
        var owned: [DeliveryKey: String] = [:]
        /// The app ciphers that seal outcomes, by app name.
        var crypts: [String: WXBizMsgCrypt] = [:]
        var renewerRunning = false
    }
    private let state = Locked(State())

    /// - Parameters:
    ///   - cluster: the shared Redis.
    ///   - capacity: the local store's capacity (`[server] dedup_entries`); 0 turns deduplication off
    ///     (nothing is shared then).
    ///   - ttl: how long a delivery is remembered (``ServerSettings/deliveryTTL``).
    ///   - leaseDuration: the lease of a running action.
    ///   - pollInterval: how often a waiting retry on another host looks for the outcome.
    public convenience init(cluster: RedisCluster, capacity: Int, ttl: Duration, leaseDuration: Duration = defaultLease,
                pollInterval: Duration = .milliseconds(25)) {
        self.init(cluster: cluster, capacity: capacity, ttl: ttl, leaseDuration: leaseDuration, pollInterval: pollInterval, renews: true)
    }

    init(cluster: RedisCluster, capacity: Int, ttl: Duration, leaseDuration: Duration, pollInterval: Duration, renews: Bool) {
        self.renews = renews
        self.cluster = cluster
        self.local = InMemoryDeliveryStore(capacity: capacity, ttl: ttl)
        self.ttl = ttl
        self.leaseDuration = leaseDuration
        self.pollInterval = pollInterval
    }

    /// Registers the cipher of an app: its outcomes are sealed with it (called for every app of every
    /// configuration, reloads included).
    /// - Parameters:
    ///   - app: the app's name (the first part of its ``DeliveryKey``s).
    ///   - crypt: the app's WXBizMsgCrypt.
    public func useCrypt(_ crypt: WXBizMsgCrypt, forApp app: String) {
        state.withLock { $0.crypts[app] = crypt }
    }

    // MARK: - DeliveryStore

    public func claim(_ key: DeliveryKey, route: Int?, now: ContinuousClock.Instant) -> DeliveryClaim {
        guard local.capacity > 0 else { return local.claim(key, route: route, now: now) }
        let owner = cluster.newOwner()
        let keys = redisKeys(key)
        let reply = cluster.run("claim", store: "delivery") { client throws(RedisError) in
            try client.eval(Self.claimScript, keys: [keys.lease, keys.outcome, keys.route],
                            arguments: [owner, String(leaseDuration.milliseconds), String(ttl.milliseconds), route.map(String.init) ?? ""])
        }
        guard case .array(let parts)? = reply, parts.count == 2, let verdict = parts[0].text else {
            return local.claim(key, route: route, now: now)
        }
        let firstRoute = parts[1].text.flatMap { Int($0) }
        switch verdict {
        case "first", "takeover":
            let claim = local.claim(key, route: route, now: now)
            if case .retry = claim, local.machine(key)?.state != .running {
                // This host already answered the delivery on its own (while Redis was down): nothing to run.
                _ = cluster.run("release", store: "delivery") { client throws(RedisError) in
                    try client.eval(Self.releaseScript, keys: [keys.lease], arguments: [owner])
                }
                return claim
            }
            // A takeover on the host whose own action still runs: its arrivals keep waiting for that action,
            // which records the outcome under the new lease.
            startRenewing(key, owner: owner)
            return claim
        default:
            if local.contains(key) { return local.claim(key, route: route, now: now) }
            return .retry(key, route: firstRoute)
        }
    }

    public func finish(_ key: DeliveryKey, reply: PassiveReply?, failure: String?) -> DeliveryStateMachine.FinishAction {
        let action = local.finish(key, reply: reply, failure: failure)
        guard let owner = state.withLock({ $0.owned.removeValue(forKey: key) }) else { return action }
        let outcome: StoredOutcome
        switch action {
        case .answerWaitingArrivals: outcome = .answered(reply, failure: failure)
        case .deliverLate: outcome = .missedBudget
        case .ignore: return action
        }
        guard let crypt = state.withLock({ $0.crypts[Self.app(of: key)] }), let value = outcome.seal(with: crypt) else {
            return action
        }
        let keys = redisKeys(key)
        _ = cluster.run("finish", store: "delivery") { client throws(RedisError) in
            try client.eval(Self.finishScript, keys: [keys.lease, keys.outcome], arguments: [owner, value, String(ttl.milliseconds)])
        }
        return action
    }

    public func answer(for key: DeliveryKey, waitingUntil deadline: ContinuousClock.Instant) -> DeliveryStateMachine.Answer {
        if local.contains(key) { return local.answer(for: key, waitingUntil: deadline) }
        let outcomeKey = redisKeys(key).outcome
        let crypt = state.withLock { $0.crypts[Self.app(of: key)] }
        while true {
            let value = cluster.run("answer", store: "delivery") { client throws(RedisError) in try client.command(["GET", outcomeKey]) }
            if let text = value?.text, let crypt, let outcome = StoredOutcome.open(text, with: crypt) {
                return outcome.answer
            }
            let now = ContinuousClock.now
            guard now + pollInterval < deadline else { return .missedBudget }
            Thread.sleep(forTimeInterval: pollInterval.inSeconds)
        }
    }

    // MARK: - Leases

    /// Whether this host holds the lease of `key` now (tests).
    public func holdsLease(_ key: DeliveryKey) -> Bool { state.withLock { $0.owned[key] != nil } }

    private func startRenewing(_ key: DeliveryKey, owner: String) {
        let start = state.withLock { state -> Bool in
            state.owned[key] = owner
            defer { state.renewerRunning = true }
            return !state.renewerRunning
        }
        guard start, renews else { return }
        let thread = Thread { [self] in renewLoop() }
        thread.name = "redis-lease-renewer"
        thread.start()
    }

    /// Renews every held lease each third of the lease; exits when none is held.
    private func renewLoop() {
        while true {
            Thread.sleep(forTimeInterval: leaseDuration.inSeconds / 3)
            let owned = state.withLock { state -> [DeliveryKey: String]? in
                if state.owned.isEmpty { state.renewerRunning = false; return nil }
                return state.owned
            }
            guard let owned else { return }
            for (key, owner) in owned {
                let lease = redisKeys(key).lease
                _ = cluster.run("renew", store: "delivery") { client throws(RedisError) in
                    try client.eval(Self.renewScript, keys: [lease], arguments: [owner, String(leaseDuration.milliseconds)])
                }
            }
        }
    }

    // MARK: - Keys and scripts

    private func redisKeys(_ key: DeliveryKey) -> (lease: String, outcome: String, route: String) {
        let base = cluster.key("delivery:" + Hex.lowercase(LibCrypto.sha256(Array(key.rawValue.utf8)) ?? []))
        return (base + ":lease", base + ":outcome", base + ":route")
    }

    private static func app(of key: DeliveryKey) -> String {
        String(key.rawValue.prefix { $0 != "\u{0}" })
    }

    /// KEYS lease, outcome, route; ARGV owner, lease ms, ttl ms, route. → {verdict, first route}.
    static let claimScript = RedisScript("""
        local route = redis.call('GET', KEYS[3])
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'retry', route or ''} end
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          if route then return {'takeover', route} end
          redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3])
          return {'first', ARGV[4]}
        end
        return {'retry', route or ''}
        """)

    /// KEYS lease, outcome; ARGV owner, value, ttl ms. → 1 recorded, 2 recorded after the lease ran out
    /// unclaimed, 0 not recorded (another owner holds the delivery, or recorded first).
    static let finishScript = RedisScript("""
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then
          redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
          redis.call('DEL', KEYS[1])
          return 1
        end
        if not holder and redis.call('EXISTS', KEYS[2]) == 0 then
          redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
          return 2
        end
        return 0
        """)

    /// KEYS lease; ARGV owner. → 1 released, 0 not held.
    static let releaseScript = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// KEYS lease; ARGV owner, lease ms. → 1 renewed, 0 lost.
    static let renewScript = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """)
}

extension Duration {
    /// Whole milliseconds (at least 1).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
