import Foundation

/// The ``TokenStore`` of several hosts sharing one Redis (`[cluster]`): one access token per app across
/// hosts, fetched by one caller at a time.
///
/// Per app (``TokenKey``): `<prefix>token:<corpid>/<app>` holds the token with a `PX` of its usable
/// lifetime; `…:refresh` is the refresh lock, `SET NX PX leaseFor` with a random owner, deleted by its
/// owner only (a script). Callers that find the lock taken poll for the new token until their deadline
/// or until the lock is gone (then one of them takes it).
///
/// Redis down: every operation falls back to the in-process ``InMemoryTokenStore`` (which also keeps a
/// copy of every token stored, so that a host that loses Redis keeps its token). Leases granted by Redis
/// have the top bit of ``RefreshLease/owner`` set, local ones do not.
public final class RedisTokenStore: TokenStore {
    /// The shared Redis.
    public let cluster: RedisCluster
    /// The fallback and the copy.
    public let local: InMemoryTokenStore
    /// How often a waiting caller looks for the new token.
    public let pollInterval: Duration

    private static let redisBit: UInt64 = 1 << 63

    /// - Parameters:
    ///   - cluster: the shared Redis.
    ///   - local: the fallback store.
    ///   - pollInterval: how often a waiting caller polls.
    public init(cluster: RedisCluster, local: InMemoryTokenStore = InMemoryTokenStore(), pollInterval: Duration = .milliseconds(50)) {
        self.cluster = cluster
        self.local = local
        self.pollInterval = pollInterval
    }

    public func validToken(for key: TokenKey) throws(TokenStoreError) -> String? {
        let name = tokenKey(key)
        if let value = cluster.run("get", store: "token", { client throws(RedisError) in try client.command(["GET", name]) }) {
            return value.text
        }
        return local.validToken(for: key)
    }

    public func acquireRefresh(for key: TokenKey, leaseFor: Duration, until deadline: ContinuousClock.Instant)
        throws(TokenStoreError) -> RefreshTurn {
        let name = tokenKey(key), lock = name + ":refresh"
        let owner = UInt64.random(in: 0...UInt64.max) | Self.redisBit
        while true {
            let turn = cluster.run("acquire", store: "token") { client throws(RedisError) -> RefreshTurn? in
                if let token = try client.command(["GET", name]).text { return .token(token) }
                let set = try client.command(["SET", lock, String(owner), "NX", "PX", String(leaseFor.milliseconds)])
                if case .status("OK") = set { return .refresh(RefreshLease(key: key, owner: owner)) }
                return nil
            }
            switch turn {
            case .none:
                return local.acquireRefresh(for: key, leaseFor: leaseFor, until: deadline)
            case .some(let decided?):
                return decided
            case .some(nil):
                guard ContinuousClock.now + pollInterval < deadline else { return .timedOut }
                Thread.sleep(forTimeInterval: pollInterval.inSeconds)
            }
        }
    }

    public func store(_ token: String, validFor: Duration, lease: RefreshLease) throws(TokenStoreError) {
        local.store(token, validFor: validFor, lease: lease)
        guard validFor > .zero else { return abandon(lease) }
        let name = tokenKey(lease.key)
        _ = cluster.run("store", store: "token") { client throws(RedisError) in
            _ = try client.command(["SET", name, token, "PX", String(validFor.milliseconds)])
            if lease.owner & Self.redisBit != 0 {
                _ = try client.eval(Self.releaseScript, keys: [name + ":refresh"], arguments: [String(lease.owner)])
            }
        }
    }

    public func abandon(_ lease: RefreshLease) {
        guard lease.owner & Self.redisBit != 0 else { return local.abandon(lease) }
        let lock = tokenKey(lease.key) + ":refresh"
        _ = cluster.run("abandon", store: "token") { client throws(RedisError) in
            try client.eval(Self.releaseScript, keys: [lock], arguments: [String(lease.owner)])
        }
    }

    public func invalidate(_ token: String, for key: TokenKey) throws(TokenStoreError) {
        local.invalidate(token, for: key)
        let name = tokenKey(key)
        _ = cluster.run("invalidate", store: "token") { client throws(RedisError) in
            try client.eval(Self.deleteIfScript, keys: [name], arguments: [token])
        }
    }

    private func tokenKey(_ key: TokenKey) -> String { cluster.key("token:\(key.corpID)/\(key.app)") }

    /// KEYS lock; ARGV owner.
    static let releaseScript = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// KEYS token; ARGV token.
    static let deleteIfScript = releaseScript
}
