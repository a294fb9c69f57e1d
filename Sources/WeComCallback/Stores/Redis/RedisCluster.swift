import Logging
import Platform

/// The Redis this host shares with the others (`[cluster]`): the client, the key prefix, this host's
/// identity for leases, and whether Redis is in use right now (``RedisHealth``).
///
/// Every shared store runs its Redis operations through ``run(_:store:_:)``: while Redis is down (for
/// ``RedisHealth/backoff`` after a failure) an operation returns `nil` at once and the store uses its
/// local state; a failure is counted (`wecom_store_errors_total`) and logged once when Redis is lost,
/// once when it is regained.
public final class RedisCluster: Sendable {
    /// The settings it was made from.
    public let settings: ClusterSettings
    /// The connection pool.
    public let client: RedisClient
    /// This process's identity in lease values: `<hostname>:<pid>:<random>`.
    public let hostID: String
    private let health: Locked<RedisHealth>
    private let logger: Logger
    private let metrics: ServiceMetrics?
    private let serial = Locked<UInt64>(0)

    /// - Parameters:
    ///   - settings: `[cluster]`.
    ///   - logger: where the lost/regained lines go.
    ///   - metrics: where store errors are counted.
    ///   - backoff: how long after a failure Redis is not tried.
    public init(settings: ClusterSettings, logger: Logger, metrics: ServiceMetrics?, backoff: Duration = .seconds(1)) {
        self.settings = settings
        self.client = RedisClient(endpoint: settings.endpoint, timeout: settings.timeout)
        self.logger = logger
        self.metrics = metrics
        self.health = Locked(RedisHealth(backoff: backoff))
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
        hostID = "\(host):\(getpid()):\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    /// `key_prefix` + `name`.
    public func key(_ name: String) -> String { settings.keyPrefix + name }

    /// A lease owner value unique across hosts and calls: ``hostID`` and a serial.
    public func newOwner() -> String {
        let n = serial.withLock { $0 += 1; return $0 }
        return "\(hostID):\(n)"
    }

    /// Whether Redis is in use now (not in the backoff after a failure).
    public var isAvailable: Bool { health.withLock { $0.shouldTry(at: .now) } }

    /// Runs `body` against Redis unless Redis is down.
    /// - Parameters:
    ///   - operation: a name for the log (e.g. `claim`).
    ///   - store: `delivery` or `token`, the metric's label.
    ///   - body: the Redis work.
    /// - Returns: its result, or `nil` when Redis is down or the work failed (the caller falls back).
    public func run<T>(_ operation: String, store: String, _ body: (RedisClient) throws(RedisError) -> T) -> T? {
        guard health.withLock({ $0.shouldTry(at: .now) }) else { return nil }
        do {
            let result = try body(client)
            if health.withLock({ $0.succeeded() }) == .regained {
                logger.notice("redis regained at \(settings.endpoint): shared stores in use again")
            }
            return result
        } catch {
            metrics?.storeError(store: store)
            if health.withLock({ $0.failed(at: .now) }) == .lost {
                logger.error("redis lost at \(settings.endpoint) (\(store) \(operation): \(error.reason)); using this host's local stores until it answers")
            }
            client.closeIdle()
            return nil
        }
    }
}
