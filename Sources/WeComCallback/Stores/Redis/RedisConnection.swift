import CHiredis
import Platform

/// Where Redis is: parsed from `redis://[[user]:password@]host[:port][/db]` (`[cluster] redis_url`).
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port (default 6379).
    public var port: Int
    /// ACL user for `AUTH`, if any.
    public var user: String?
    /// Password for `AUTH`, if any (never logged).
    public var password: String?
    /// Database number for `SELECT` (default 0).
    public var database: Int

    /// Parses a Redis URL.
    /// - Parameter url: `redis://[[user]:password@]host[:port][/db]`.
    /// - Throws: ``RedisError`` saying what is wrong (never the password).
    public init(url: String) throws(RedisError) {
        guard url.hasPrefix("redis://") else { throw RedisError("the URL must start with redis://") }
        var rest = Substring(url.dropFirst("redis://".count))
        user = nil
        password = nil
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let name = String(credentials[..<colon])
                user = name.isEmpty ? nil : name
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingIfValid
            } else {
                password = String(credentials).removingPercentEncodingIfValid
            }
        }
        database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let number = Int(db), (0...1023).contains(number) else { throw RedisError("the database must be a number after the host, e.g. /0") }
                database = number
            }
        }
        port = 6379
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                throw RedisError("the port must be a number between 1 and 65535")
            }
            port = number
            rest = rest[..<colon]
        }
        if rest.hasPrefix("["), rest.hasSuffix("]") { rest = rest.dropFirst().dropLast() }
        guard !rest.isEmpty else { throw RedisError("the URL has no host") }
        host = String(rest)
    }

    /// `host:port/db` (no credentials).
    public var description: String { "\(host):\(port)/\(database)" }
}

extension String {
    fileprivate var removingPercentEncodingIfValid: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var it = Array(utf8)[...]
        while let byte = it.popFirst() {
            if byte == UInt8(ascii: "%"), it.count >= 2, let value = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                it = it.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A Redis reply (RESP, as hiredis parsed it).
public enum RedisReply: Sendable, Equatable {
    /// `+OK` and the like.
    case status(String)
    /// `-ERR …` (a command error; the connection is still fine).
    case error(String)
    /// `:n`.
    case integer(Int64)
    /// A bulk string (binary-safe).
    case bytes([UInt8])
    /// A multi-bulk reply.
    case array([RedisReply])
    /// The null bulk string or null array.
    case null

    /// The bulk string as UTF-8 text, if this is one.
    public var text: String? {
        if case .bytes(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        if case .status(let status) = self { return status }
        return nil
    }
}

/// A Redis connection or command that failed: the connection is closed, the store falls back.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in a few words (never a password or a value).
    public var reason: String
    /// - Parameter reason: what went wrong.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// hiredis behind one thin Swift type: one synchronous connection (no other file sees a pointer).
/// Commands are argument vectors (`redisCommandArgv`, binary-safe); hiredis writes and parses RESP.
/// Not thread-safe: ``RedisClient`` lends each connection to one thread at a time.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects, authenticates and selects the database, each step bounded by `timeout`.
    /// - Parameters:
    ///   - endpoint: where Redis is.
    ///   - timeout: the connect timeout and every command's read/write timeout.
    /// - Throws: ``RedisError`` when any step fails.
    init(endpoint: RedisEndpoint, timeout: Duration) throws(RedisError) {
        let micros = max(1000, Int(timeout.inSeconds * 1_000_000))
        let tv = timeval(tv_sec: micros / 1_000_000, tv_usec: Int(micros % 1_000_000))
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), tv) else {
            throw RedisError("cannot allocate a connection")
        }
        if context.pointee.err != 0 {
            let reason = Self.errorText(context)
            redisFree(context)
            throw RedisError("connect to \(endpoint): \(reason)")
        }
        self.context = context
        _ = redisSetTimeout(context, tv)
        try? POSIX.setCloseOnExec(context.pointee.fd)
        if let password = endpoint.password {
            let reply = try command(endpoint.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            if case .error = reply { throw RedisError("AUTH refused by \(endpoint)") }
        }
        if endpoint.database != 0 {
            if case .error(let message) = try command(["SELECT", String(endpoint.database)]) {
                throw RedisError("SELECT \(endpoint.database): \(message)")
            }
        }
    }

    deinit { redisFree(context) }

    /// Whether the connection can still be used (no I/O or protocol error so far).
    var isUsable: Bool { context.pointee.err == 0 }

    /// Sends one command and reads its reply.
    /// - Parameter arguments: the command and its arguments (UTF-8 strings).
    /// - Returns: the reply; a Redis error reply is ``RedisReply/error(_:)``, not a throw.
    /// - Throws: ``RedisError`` on an I/O error or timeout (the connection is then unusable).
    func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try command(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends one command of binary-safe arguments and reads its reply.
    func command(bytes arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        guard isUsable else { throw RedisError("connection unusable") }
        var buffer: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(buffer.count)
            lengths.append(argument.count)
            buffer += argument
        }
        buffer.append(0)
        let raw: UnsafeMutableRawPointer? = buffer.withUnsafeBufferPointer { base in
            base.withMemoryRebound(to: CChar.self) { chars in
                var pointers: [UnsafePointer<CChar>?] = offsets.map { offset in chars.baseAddress.map { UnsafePointer($0 + offset) } }
                return pointers.withUnsafeMutableBufferPointer { argv in
                    lengths.withUnsafeBufferPointer { argvlen in
                        redisCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                    }
                }
            }
        }
        guard let raw else { throw RedisError(Self.errorText(context)) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        func string() -> [UInt8] {
            guard let str = r.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: Int(r.len)))
        }
        switch r.type {
        case REDIS_REPLY_STATUS: return .status(String(decoding: string(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: string(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(r.integer))
        case REDIS_REPLY_STRING: return .bytes(string())
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            for i in 0..<Int(r.elements) {
                if let element = r.element?[i] { items.append(convert(element)) } else { items.append(.null) }
            }
            return .array(items)
        default: return .null
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "I/O error" : text
    }
}

/// The process's Redis client: a small pool of ``RedisConnection``s reused across requests, each lent
/// to one thread at a time. A connection that failed is closed, never returned to the pool.
public final class RedisClient: Sendable {
    /// Where Redis is.
    public let endpoint: RedisEndpoint
    /// The connect and command timeout.
    public let timeout: Duration
    /// Idle connections kept for reuse at most.
    public let maxIdle: Int
    private let idle = Locked<[RedisConnection]>([])

    /// - Parameters:
    ///   - endpoint: where Redis is.
    ///   - timeout: connect and command timeout (`[cluster] timeout_ms`).
    ///   - maxIdle: idle connections kept at most.
    public init(endpoint: RedisEndpoint, timeout: Duration, maxIdle: Int = 32) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.maxIdle = maxIdle
    }

    /// Runs one command on a pooled connection (a new one when none is idle).
    /// - Parameter arguments: the command and its arguments.
    /// - Returns: the reply (an error reply is a value, not a throw).
    /// - Throws: ``RedisError`` when connecting or the command's I/O fails or times out.
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        let connection = try borrow()
        let reply: RedisReply
        do {
            reply = try connection.command(arguments)
        } catch {
            // Only a connection Redis closed while it sat in the pool is retried; a timeout is not (the
            // command may have run, and a second wait would double the time a dead Redis costs).
            guard Self.isStale(error) else { throw error }
            return try retryOnFreshConnection(arguments)
        }
        giveBack(connection)
        return reply
    }

    /// Runs a script: `EVALSHA sha1 numkeys keys… args…`, and `EVAL script …` when Redis does not hold
    /// the script yet (a `NOSCRIPT` answer), which also caches it there.
    /// - Throws: ``RedisError`` as ``command(_:)``, and for an error reply (a script bug or a Redis that
    ///   refuses, e.g. out of memory).
    public func eval(_ script: RedisScript, keys: [String], arguments: [String]) throws(RedisError) -> RedisReply {
        let rest = [String(keys.count)] + keys + arguments
        var reply = try command(["EVALSHA", script.sha1] + rest)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            reply = try command(["EVAL", script.source] + rest)
        }
        if case .error(let message) = reply { throw RedisError("script failed: \(message.prefix(120))") }
        return reply
    }

    /// `PING`.
    /// - Returns: `true` when Redis answered `PONG`.
    /// - Throws: ``RedisError`` when it could not be reached in time.
    public func ping() throws(RedisError) -> Bool {
        if case .status("PONG") = try command(["PING"]) { return true }
        return false
    }

    /// Closes the idle connections.
    public func closeIdle() { idle.withLock { $0.removeAll() } }

    private func borrow() throws(RedisError) -> RedisConnection {
        if let connection = idle.withLock({ $0.popLast() }) { return connection }
        return try RedisConnection(endpoint: endpoint, timeout: timeout)
    }

    private func giveBack(_ connection: RedisConnection) {
        guard connection.isUsable else { return }
        idle.withLock { if $0.count < maxIdle { $0.append(connection) } }
    }

    /// A pooled connection that Redis closed meanwhile (restart, idle timeout) fails on first use: one
    /// retry on a fresh connection, and the other idle ones are dropped too (they are as stale).
    private static func isStale(_ error: RedisError) -> Bool {
        ["closed the connection", "reset by peer", "Broken pipe"].contains { error.reason.contains($0) }
    }

    private func retryOnFreshConnection(_ arguments: [String]) throws(RedisError) -> RedisReply {
        closeIdle()
        let fresh = try RedisConnection(endpoint: endpoint, timeout: timeout)
        let reply = try fresh.command(arguments)
        giveBack(fresh)
        return reply
    }
}
