import Foundation
import Logging

/// `[server]`: settings for the whole process.
public struct ServerSettings: Sendable, Equatable {
    /// `max_body_bytes`: larger request bodies get 413 (default 65536).
    public var maxBodyBytes: Int
    /// `log_level`: trace, debug, info (default), notice, warning or error.
    public var logLevel: Logger.Level
    /// `reply_budget_ms`: how long a POST may wait for its action, in milliseconds from arrival
    /// (default 4000, at most 4800: WeCom waits 5 s).
    public var replyBudgetMS: Int
    /// `dedup_entries`: how many recent deliveries are remembered to answer retries once (default 10000;
    /// 0 turns deduplication off).
    public var dedupEntries: Int
    /// `dedup_ttl_s`: how long a delivery is remembered, in seconds (default 300; raised to twice
    /// `max_timestamp_skew_s` plus 5 s when that is longer, see ``deliveryTTL``).
    public var dedupTTLSeconds: Int
    /// `max_timestamp_skew_s`: a request whose `timestamp` query value is further than this many seconds
    /// from the server's clock, in either direction, is refused with 403 (default 300; 0 turns the check
    /// off). Together with the retry cache this stops replays of captured requests.
    public var maxTimestampSkewSeconds: Int = defaultMaxTimestampSkewSeconds
    /// `status_path`: where Prometheus metrics are served (off when `nil`).
    public var statusPath: String?
    /// `status_allow`: the client addresses (`REMOTE_ADDR`) that may read `status_path`
    /// (default loopback: `127.0.0.1`, `::1`).
    public var statusAllow: [String] = ["127.0.0.1", "::1"]
    /// `max_programs`: the most `exec` programs running at once, for the whole process (1 … 4096;
    /// default ``ProgramSupervisor/defaultLimit``, 2 × cores, at least 8). A message over it gets its
    /// route's `on_error` reply, else none.
    public var maxPrograms: Int = ProgramSupervisor.defaultLimit
    /// Whether `max_programs` was given in the file (for `check-config`).
    public var maxProgramsIsExplicit = false
    /// `max_media_bytes`: the largest media file downloaded for (or uploaded from) an `exec` program,
    /// in bytes (default 20 MiB, 1 KiB … 200 MiB; AI-bot files may be up to 100 MB). A larger
    /// `Content-Length`, or a body that passes it while read, fails the route (its `on_error`).
    public var maxMediaBytes: Int = defaultMaxMediaBytes

    /// The default `max_media_bytes`: 20 MiB.
    public static let defaultMaxMediaBytes = 20 << 20
    /// The largest `max_media_bytes`: 200 MiB.
    public static let maxMaxMediaBytes = 200 << 20

    /// The default `dedup_ttl_s`.
    public static let defaultDedupTTLSeconds = 300
    /// The default `max_timestamp_skew_s`.
    public static let defaultMaxTimestampSkewSeconds = 300

    /// How long the retry cache remembers a delivery: `dedup_ttl_s`, or twice `max_timestamp_skew_s` plus 5 s when
    /// that is longer — a request may carry a timestamp up to the skew ahead of the clock and be replayed
    /// until the skew after it, so every replay the timestamp check lets through is still remembered.
    public var deliveryTTL: Duration {
        .seconds(max(dedupTTLSeconds, maxTimestampSkewSeconds > 0 ? 2 * maxTimestampSkewSeconds + Self.replayMarginSeconds : 0))
    }

    /// Added to twice the skew: the window is checked against the wall clock after the delivery's monotonic
    /// arrival was taken, and a small clock step must not open a gap between the window and the cache.
    public static let replayMarginSeconds = 5

    /// The default `max_body_bytes`.
    public static let defaultMaxBodyBytes = 65536
    /// The default and the largest `reply_budget_ms`.
    public static let defaultReplyBudgetMS = 4000, maxReplyBudgetMS = 4800
    /// The largest `max_programs`.
    public static let maxMaxPrograms = 4096

    /// Creates settings.
    /// - Parameters:
    ///   - maxBodyBytes: the request body limit in bytes.
    ///   - logLevel: the minimum level logged.
    ///   - replyBudgetMS: the reply budget in milliseconds.
    ///   - dedupEntries: the retry cache's capacity.
    ///   - dedupTTLSeconds: the retry cache's time to live in seconds.
    public init(maxBodyBytes: Int = defaultMaxBodyBytes, logLevel: Logger.Level = .info,
                replyBudgetMS: Int = defaultReplyBudgetMS, dedupEntries: Int = InMemoryDeliveryStore.defaultCapacity,
                dedupTTLSeconds: Int = defaultDedupTTLSeconds) {
        self.maxBodyBytes = maxBodyBytes
        self.logLevel = logLevel
        self.replyBudgetMS = replyBudgetMS
        self.dedupEntries = dedupEntries
        self.dedupTTLSeconds = dedupTTLSeconds
    }
}

/// One validated `[[app]]`.
public struct AppConfiguration: Sendable, CustomStringConvertible {
    /// `name`: unique; in logs and given to external programs as `WECOM_APP`.
    public var name: String
    /// `path`: the DOCUMENT_URI this app answers (trailing slash ignored); `nil` answers every path.
    public var path: String?
    /// The resolved secrets (never printed by ``description``).
    public var credentials: AppCredentials
    /// `agent_id`: when set, messages carrying another AgentID are refused (403).
    public var agentID: Int64?
    /// `journal`: the JSON Lines file accepted messages are appended to, if any.
    public var journalPath: String?
    /// `[[app.route]]` in order.
    public var routes: [Route]
    /// `corp_secret` and `api_base`: when set, the app gets an ``ActiveSender``.
    public var activeSend: ActiveSendSettings?

    /// Creates an app configuration.
    /// - Parameters:
    ///   - name: the unique name.
    ///   - path: the request path, or `nil` for every path.
    ///   - credentials: corp id, Token and EncodingAESKey.
    ///   - agentID: the expected AgentID, if any.
    ///   - journalPath: the journal file, if any.
    ///   - routes: the routes in order.
    ///   - activeSend: the Secret and API root for active send, if any.
    public init(name: String, path: String?, credentials: AppCredentials, agentID: Int64? = nil,
                journalPath: String? = nil, routes: [Route], activeSend: ActiveSendSettings? = nil) {
        self.name = name
        self.path = path
        self.credentials = credentials
        self.agentID = agentID
        self.journalPath = journalPath
        self.routes = routes
        self.activeSend = activeSend
    }

    /// Name, path, agent id, journal, route count and active-send API root; no secret.
    public var description: String {
        "app \(name) path=\(path ?? "*") agent_id=\(agentID.map(String.init) ?? "-") journal=\(journalPath ?? "-") routes=\(routes.count)"
            + " active_send=\(activeSend?.apiBase ?? "-")"
    }
}

/// A validated configuration: server settings and apps with their routes, secrets resolved.
///
/// Loading is side-effect free (it reads the file, secret files and the environment, checks that
/// programs exist and journal directories are writable, and opens nothing), so it is cheap to call
/// again on SIGHUP. ``makeServer(logger:now:)`` then opens the journals and builds the
/// ``CallbackApp``s.
public struct Configuration: Sendable {
    /// Where it came from: the file path, or `environment`.
    public var source: String
    /// `[server]`.
    public var server: ServerSettings
    /// `[[app]]` in file order.
    public var apps: [AppConfiguration]
    /// `[[bot]]` in file order (AI bots, `Configuration+Bot.swift`).
    public var bots: [BotConfiguration] = []
    /// Problems that do not prevent use (e.g. `timeout_ms` over 4500).
    public var warnings: [ConfigProblem]
    /// `[cluster]`: the Redis shared with other hosts, or `nil` for the in-process stores. Read at
    /// start; a reload keeps the stores the process started with.
    public var cluster: ClusterSettings? = nil

    /// `/etc/wecom-fcgi/config.toml`.
    public static let defaultPath = "/etc/wecom-fcgi/config.toml"
    /// `WECOM_FCGI_CONFIG`: overrides the default path (`--config` overrides both).
    public static let pathVariable = "WECOM_FCGI_CONFIG"
    /// The `--config` / `WECOM_FCGI_CONFIG` value that selects the environment-only configuration.
    public static let environmentOnly = "none"

    /// Creates a configuration from parts (tests, embedding).
    /// - Parameters:
    ///   - source: a label for logs.
    ///   - server: the server settings.
    ///   - apps: the apps.
    ///   - bots: the AI bots.
    ///   - warnings: non-fatal problems.
    public init(source: String, server: ServerSettings = ServerSettings(), apps: [AppConfiguration], bots: [BotConfiguration] = [],
                warnings: [ConfigProblem] = []) {
        self.source = source
        self.server = server
        self.apps = apps
        self.bots = bots
        self.warnings = warnings
    }

    /// The largest configuration file accepted: 1 MiB (a real one is a few KiB).
    public static let maxFileBytes = 1 << 20

    /// Reads and validates a configuration file.
    /// - Parameters:
    ///   - path: the TOML file.
    ///   - environment: the process environment, for `*_env` secrets, the one-app fallback
    ///     (`WECOM_APP_CORP_ID`, `WECOM_APP_TOKEN`, `WECOM_APP_AES_KEY`), `PATH` lookup of exec commands
    ///     and the environment exec programs inherit.
    /// - Returns: the validated configuration; warnings in ``warnings``.
    /// - Throws: ``ConfigError`` with every problem found (all errors and warnings), when there is at
    ///   least one error or the file cannot be read.
    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> Configuration {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.intValue > maxFileBytes {
            throw ConfigError("\(path) is larger than \(maxFileBytes) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError("\(path) is not UTF-8") }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(text, source: path, baseDirectory: directory.isEmpty ? "." : directory, environment: environment)
    }

    /// Validates configuration text.
    /// - Parameters:
    ///   - text: TOML.
    ///   - source: a label for logs (the path).
    ///   - baseDirectory: relative `*_file` and `journal` paths are taken from here.
    ///   - environment: as in ``load(path:environment:)``.
    /// - Returns: the validated configuration.
    /// - Throws: ``ConfigError`` with every problem found.
    public static func parse(_ text: String, source: String = "config.toml", baseDirectory: String = ".",
                             environment: [String: String]) throws(ConfigError) -> Configuration {
        var loader = ConfigLoader(text: text, baseDirectory: baseDirectory, environment: environment)
        let result = loader.load(source: source)
        guard let configuration = result, !loader.problems.contains(where: { $0.severity == .error }) else {
            throw ConfigError(problems: loader.problems)
        }
        return configuration
    }

    /// The configuration without a file: one app, no path, credentials from `WECOM_APP_CORP_ID`,
    /// `WECOM_APP_TOKEN` and `WECOM_APP_AES_KEY`, and a single `echo` route.
    /// - Parameter environment: the process environment.
    /// - Returns: the configuration (source `environment`).
    /// - Throws: ``ConfigError`` naming the first missing variable or a malformed credential (never a value).
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigError) -> Configuration {
        let credentials: AppCredentials
        do {
            credentials = try AppCredentials.fromEnvironment(environment)
            _ = try credentials.makeCrypt()
        } catch {
            throw ConfigError("no configuration file and no usable environment: \(error.description)")
        }
        let app = AppConfiguration(name: "default", path: nil, credentials: credentials,
                                   routes: [Route(index: 0, action: .echo)])
        return Configuration(source: "environment", apps: [app])
    }

    /// The configuration the server should run: `explicitPath` (from `--config`) if given, else
    /// `$WECOM_FCGI_CONFIG` if set, else ``defaultPath``; when none was asked for explicitly and the
    /// default file does not exist, ``fromEnvironment(_:)``. The path ``environmentOnly`` (`none`) asks for
    /// ``fromEnvironment(_:)`` even when the default file exists (a host with the package installed).
    /// - Parameters:
    ///   - explicitPath: the `--config` value, if any.
    ///   - environment: the process environment.
    /// - Returns: the validated configuration.
    /// - Throws: ``ConfigError`` as ``load(path:environment:)`` or ``fromEnvironment(_:)``.
    public static func resolve(explicitPath: String?, environment: [String: String]) throws(ConfigError) -> Configuration {
        if let path = explicitPath ?? environment[pathVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            if path == environmentOnly { return try fromEnvironment(environment) }
            return try load(path: path, environment: environment)
        }
        if FileManager.default.fileExists(atPath: defaultPath) {
            return try load(path: defaultPath, environment: environment)
        }
        return try fromEnvironment(environment)
    }
}
