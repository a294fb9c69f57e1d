/// `[cluster]`: the Redis through which several hosts share delivery claims and access tokens.
public struct ClusterSettings: Sendable, Equatable {
    /// The default `key_prefix`.
    public static let defaultKeyPrefix = "wecom-fcgi:"
    /// The default `timeout_ms`.
    public static let defaultTimeoutMS = 200

    /// Where Redis is (from `redis_url`, `redis_url_env` or `redis_url_file`).
    public var endpoint: RedisEndpoint
    /// Prepended to every key, so that several deployments can share one Redis.
    public var keyPrefix: String
    /// Connect and command timeout, in milliseconds.
    public var timeoutMS: Int

    /// - Parameters:
    ///   - endpoint: where Redis is.
    ///   - keyPrefix: prepended to every key.
    ///   - timeoutMS: connect and command timeout in milliseconds.
    public init(endpoint: RedisEndpoint, keyPrefix: String = defaultKeyPrefix, timeoutMS: Int = defaultTimeoutMS) {
        self.endpoint = endpoint
        self.keyPrefix = keyPrefix
        self.timeoutMS = timeoutMS
    }

    /// `timeout_ms` as a duration.
    public var timeout: Duration { .milliseconds(timeoutMS) }
}

extension RedisEndpoint {
    /// An endpoint from its parts.
    public init(host: String, port: Int, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }
}
