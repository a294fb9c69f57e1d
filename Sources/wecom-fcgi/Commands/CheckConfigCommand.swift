import ArgumentParser
import Foundation
import WeComCallback

/// `wecom-fcgi check-config [--config PATH]`: validates a configuration file and prints every
/// problem with its key path and line; exit status 0 when usable (warnings allowed), 1 otherwise.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file and print every problem.",
        discussion: """
            Checks TOML syntax, unknown keys, secrets (inline, *_env, *_file; values are never printed), \
            regular expressions, templates, exec commands, journal directories and action-specific keys. \
            Prints one line per problem as `key.path: message (line N)`. Exit status 0 when the file is \
            usable, 1 when it is not. A usable file is followed by a note on nginx keep-alive.
            """)

    /// The one race only nginx can absorb (nginx.conf.example says the same): printed after every usable file,
    /// since the nginx side is not something this command can see.
    static let keepAliveNote = """
        note: with nginx keep-alive (fastcgi_keep_conn on), wecom-fcgi closes a kept connection only at \
        shutdown and right after a 413; a request nginx sends on it at that moment gets 502 ("upstream \
        prematurely closed connection") unless nginx retries it: fastcgi_next_upstream error timeout \
        non_idempotent (see nginx.conf.example)
        """

    @Option(name: .long, help: ArgumentHelp(
        "The configuration file (default: $\(Configuration.pathVariable), else \(Configuration.defaultPath)).",
        valueName: "path"))
    var config: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let explicit = config ?? environment[Configuration.pathVariable].flatMap { $0.isEmpty ? nil : $0 }
        // `--config none`, or no file asked for and none at the default path: check what `serve` would run then, the
        // one-app configuration from WECOM_APP_CORP_ID, WECOM_APP_TOKEN and WECOM_APP_AES_KEY.
        let path = explicit ?? Configuration.defaultPath
        let source = explicit == Configuration.environmentOnly || (explicit == nil && !FileManager.default.fileExists(atPath: path)) ? "environment" : path
        do {
            let loaded = source == "environment"
                ? try Configuration.fromEnvironment(environment)
                : try Configuration.load(path: path, environment: environment)
            for warning in loaded.warnings { print("\(source): \(warning)") }
            let apps = "\(loaded.apps.count) app\(loaded.apps.count == 1 ? "" : "s"): "
                + loaded.apps.map { "\($0.name) (\($0.path ?? "every path"), \($0.routes.count) route\($0.routes.count == 1 ? "" : "s"))" }.joined(separator: ", ")
            let bots = "\(loaded.bots.count) bot\(loaded.bots.count == 1 ? "" : "s"): "
                + loaded.bots.map { "\($0.name) (\($0.path), \($0.routes.count) route\($0.routes.count == 1 ? "" : "s"))" }.joined(separator: ", ")
            // A bot-only configuration says so, not "0 apps: ".
            print("\(source): OK, \(loaded.apps.isEmpty ? bots : apps)")
            if !loaded.apps.isEmpty && !loaded.bots.isEmpty { print("\(source): \(bots)") }
            let programs = loaded.server.maxPrograms
            print("\(source): server: max_programs=\(programs)\(loaded.server.maxProgramsIsExplicit ? "" : " (default: 2 × cores, at least 8)")")
            if let cluster = loaded.cluster { print("\(source): \(Self.clusterStatus(cluster))") }
            print(Self.keepAliveNote)
        } catch {
            for problem in error.problems { print("\(source): \(problem)") }
            let count = error.errors.count
            print("\(source): \(count) error\(count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }

    /// Whether `[cluster]`'s Redis answers `PING` within `timeout_ms` (a Redis that does not is a warning,
    /// not an error: the hosts then run on their local stores).
    static func clusterStatus(_ cluster: ClusterSettings) -> String {
        let client = RedisClient(endpoint: cluster.endpoint, timeout: cluster.timeout)
        let prefix = "cluster: redis \(cluster.endpoint) (key_prefix \"\(cluster.keyPrefix)\", timeout_ms \(cluster.timeoutMS))"
        do {
            if try client.ping() { return prefix + " answers PING" }
            return "warning: " + prefix + " answered PING with something else than PONG"
        } catch {
            return "warning: " + prefix + " does not answer (\(error.reason)); each host uses its local stores until it does"
        }
    }
}
