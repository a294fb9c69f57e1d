/// `[cluster]`: the Redis that several hosts share (README "Running on several hosts").
extension ConfigLoader {
    /// Validates `[cluster]`; `nil` when the table is absent (the in-process stores) or has an error.
    mutating func loadCluster(_ value: ConfigValue?) -> ClusterSettings? {
        guard let value else { return nil }
        guard case .table(let table) = value else {
            error("cluster", "must be a table, not \(Self.article(value.typeName))")
            return nil
        }
        checkKeys(table, at: "cluster", allowed: ConfigSchema.cluster)
        var settings = ClusterSettings(endpoint: RedisEndpoint(host: "", port: 0))
        var ok = true
        if let url = secret("redis_url", in: table, at: "cluster", oneApp: false) {
            let given = ["redis_url", "redis_url_env", "redis_url_file"].first { table[$0] != nil } ?? "redis_url"
            do {
                settings.endpoint = try RedisEndpoint(url: url)
            } catch {
                self.error("cluster.\(given)", "not a Redis URL (\(error.reason)); expected redis://[:password@]host:port/db")
                ok = false
            }
        } else {
            ok = false
        }
        if let prefix = string(table, "key_prefix", at: "cluster") {
            if prefix.isEmpty || prefix.utf8.count > 64 || prefix.contains(where: { $0.isWhitespace }) {
                error("cluster.key_prefix", "must be 1 to 64 characters without spaces")
                ok = false
            } else {
                settings.keyPrefix = prefix
            }
        }
        if let timeout = integer(table, "timeout_ms", at: "cluster") {
            if (10...2000).contains(timeout) {
                settings.timeoutMS = timeout
            } else {
                error("cluster.timeout_ms", "must be between 10 and 2000 (a request has 5 s in all)")
                ok = false
            }
        }
        return ok ? settings : nil
    }
}
