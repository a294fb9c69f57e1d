import ArgumentParser
import FastCGI
import Foundation
import Logging
import Platform
import WeComCallback

/// `wecom-fcgi serve`: runs the responder as a FastCGI server (spawn-fcgi or `--listen`) or answers one
/// CGI request.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve WeCom callbacks over FastCGI (the default command).",
        discussion: """
            The mode is chosen at start-up:
              --listen ADDRESS  our own socket, e.g. 127.0.0.1:9000 or
                                unix:/run/wecom-fcgi/wecom-fcgi.sock
              LISTEN_FDS=1      the socket systemd passed on fd 3
                                (wecom-fcgi.socket)
              no --listen       accept on fd 0 (started by spawn-fcgi)
              neither           CGI: one request from the environment and
                                stdin, the response on stdout

            SIGTERM or SIGINT: stop accepting, finish the requests in
            flight, give exec programs still running 5 s, kill the
            process groups of those still running then, exit 0. A second
            signal exits at once with status 1.
            """
    )

    @Option(help: ArgumentHelp(
        "The configuration file (default: $WECOM_FCGI_CONFIG, else /etc/wecom-fcgi/config.toml if it exists, else one echo app from WECOM_APP_CORP_ID, WECOM_APP_TOKEN, WECOM_APP_AES_KEY; 'none' selects that echo app even when the default file exists).",
        valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp(
        "Open our own socket instead of using fd 0: host:port or unix:/path.", valueName: "address"))
    var listen: String?

    @Option(help: ArgumentHelp(
        "Permission bits (octal) for a --listen unix socket; nginx workers need read+write.", valueName: "mode"))
    var socketMode: String = "0660"

    @Option(help: ArgumentHelp(
        "Owner for a --listen unix socket: user:group, user or :group (e.g. :www-data).",
        valueName: "user:group"))
    var socketOwner: String?

    @Option(help: ArgumentHelp(
        "Worker threads, each serving one request at a time; a request waiting for an exec program holds one for up to the reply budget (default: 2 × cores, at least 8).",
        valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp(
        "Longest a read or write on a web-server connection may block, in ms; 0 = no limit.", valueName: "ms"))
    var ioTimeoutMs: Int = 3000

    @Option(help: ArgumentHelp(
        "Largest request body read, in bytes; a longer body gets 413 (default: [server] max_body_bytes, 65536).",
        valueName: "bytes"))
    var maxBodyBytes: Int?

    @Option(help: "Log level on stderr (default: [server] log_level, info).")
    var logLevel: Logger.Level?

    @Option(help: ArgumentHelp(
        "Refuse (403) a request whose timestamp is further than this from the clock, in seconds; 0 = off (default: [server] max_timestamp_skew_s, 300). Replaying fixtures with fixed timestamps needs 0.",
        valueName: "s"))
    var maxTimestampSkewS: Int?

    func validate() throws {
        if let threads, !(1...1024).contains(threads) {
            throw ValidationError("--threads must be between 1 and 1024")
        }
        guard (0...600_000).contains(ioTimeoutMs) else {
            throw ValidationError("--io-timeout-ms must be between 0 and 600000")
        }
        if let maxTimestampSkewS, !(0...86_400).contains(maxTimestampSkewS) {
            throw ValidationError("--max-timestamp-skew-s must be between 0 (off) and 86400")
        }
        if let maxBodyBytes, !(0...(64 << 20)).contains(maxBodyBytes) {
            throw ValidationError("--max-body-bytes must be between 0 and \(64 << 20)")
        }
        guard parsedSocketMode != nil else {
            throw ValidationError("--socket-mode must be octal permission bits, e.g. 0660")
        }
        if let listen {
            do { _ = try ListenAddress(parsing: listen) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        // Taken (and LISTEN_* unset) before the environment is read: exec programs must not inherit them.
        let activated = try SystemdSocket.take()
        // A FastCGI server takes SIGTERM, SIGINT and SIGHUP on a watcher thread (`FastCGIServer.run`).
        // Block them now, before any thread exists and long before "wecom-fcgi serving" is logged:
        // every thread inherits the mask, and a signal sent during start-up or once that line is out
        // stays pending until the watcher takes it, instead of being lost (to an inherited SIG_IGN, or
        // to the SIGTERM handler FCGX_Init installs) or, for SIGHUP, ending the process.
        if activated != nil || listen != nil || ListenSocket.standardInputIsListening() {
            TerminationSignals.blockInCallingThread()
        }
        let environment = ProcessInfo.processInfo.environment
        let configPath = config, skewOverride = maxTimestampSkewS
        let load: @Sendable () throws(ConfigError) -> Configuration = {
            var configuration = try Configuration.resolve(explicitPath: configPath, environment: environment)
            if let skewOverride { configuration.server.maxTimestampSkewSeconds = skewOverride }
            return configuration
        }
        let configuration: Configuration
        do {
            configuration = try load()
        } catch {
            for problem in error.problems { FileHandle.standardError.write(Data("wecom-fcgi: \(problem)\n".utf8)) }
            throw ExitCode(1)
        }
        let level = logLevel ?? configuration.server.logLevel
        // The log handler formats a local timestamp once a second; without TZ, glibc stats /etc/localtime
        // for every conversion. An explicit TZ makes it read the zone once.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        // StreamLogHandler's line format, written faster (one write(2) per line).
        let timestamps = TimestampCache()
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, level: level, timestamps: timestamps) }
        let logger = Logger(label: "wecom-fcgi")
        for warning in configuration.warnings { logger.warning("config: \(warning)") }
        let configured: ConfiguredServer
        do {
            configured = try configuration.makeServer(logger: logger)
        } catch {
            for problem in error.problems { logger.error("config: \(problem)") }
            throw ExitCode(1)
        }
        let maxBodyBytes = self.maxBodyBytes ?? configured.settings.maxBodyBytes
        let handler = ReloadableHandler(server: configured, load: load, logger: logger)
        // The supervisor outlives reloads: this one owns every program of the process.
        let programs = configured.runtime.programs
        logger.info("configuration \(configuration.source): \(configured.apps.map(\.name).joined(separator: ", "))")

        let socket: ListenSocket
        let mode: String
        var socketDetails = ""
        if let listen {
            let address = try ListenAddress(parsing: listen)
            let owner = try socketOwner.map { text throws(FastCGIError) in try SocketOwner(parsing: text) }
            socket = try ListenSocket.open(address, mode: parsedSocketMode ?? 0o660, owner: owner)
            mode = "listen"
            if case .unix = address {
                socketDetails += " socket_mode=0\(String(parsedSocketMode ?? 0o660, radix: 8))"
                if let socketOwner { socketDetails += " socket_owner=\(socketOwner)" }
            }
        } else if let activated {
            socket = activated
            mode = "systemd"
        } else if ListenSocket.standardInputIsListening() {
            socket = ListenSocket.inherited()
            mode = "spawn-fcgi"
        } else {
            logger.debug("CGI mode: fd 0 is not a FastCGI listening socket")
            defer { Self.stopPrograms(programs, logger: logger) }
            try CGIGateway.serveOne(responder: handler, maxBodyBytes: maxBodyBytes)
            return
        }

        let serverConfiguration = FastCGIServer.Configuration(
            threads: threads ?? Self.defaultThreads(), maxBodyBytes: maxBodyBytes, ioTimeoutMS: ioTimeoutMs)
        let server = try FastCGIServer(socket: socket, configuration: serverConfiguration, logger: logger)
        let summary = "mode=\(mode) socket=\(socket.displayName)\(socketDetails) threads=\(serverConfiguration.threads)"
        logger.info("wecom-fcgi serving: \(summary) max_body_bytes=\(serverConfiguration.maxBodyBytes) pid=\(getpid())")
        defer {
            // Programs first: a late result still goes out through the active senders, which drain next.
            Self.stopPrograms(programs, logger: logger)
            handler.shutdownActiveSenders(timeout: .seconds(5))
        }
        try server.run(responder: handler, onReload: { handler.reload() })
    }

    /// How long exec programs still running at exit may go on once the requests in flight are answered:
    /// the drain deadline, after which their process groups are killed.
    static let programDrainTimeout: Duration = .seconds(5)

    /// Waits for the running exec programs until ``programDrainTimeout`` from now, then kills the process
    /// groups still there (``ProgramSupervisor/shutdown(deadline:reapTimeout:)``); logs what it did.
    private static func stopPrograms(_ programs: ProgramSupervisor, logger: Logger) {
        let running = programs.running
        if running > 0 {
            logger.info("waiting up to \(Int(programDrainTimeout.inSeconds)) s for \(running) exec program(s) still running")
        }
        let report = programs.shutdown(deadline: .now + programDrainTimeout)
        if report.killedGroups > 0 {
            logger.warning("killed the process groups of \(report.killedGroups) exec program(s) still running at the drain deadline")
        }
        if report.unfinished > 0 {
            logger.warning("\(report.unfinished) exec job(s) still not finished at exit")
        }
    }

    private var parsedSocketMode: UInt32? {
        guard let bits = UInt32(socketMode, radix: 8), bits <= 0o777 else { return nil }
        return bits
    }

    /// 2 × cores, at least 8: threads mostly wait (on nginx, or on an exec program for up to the reply
    /// budget), so a few slow programs must not leave the CPU-bound requests without a thread.
    private static func defaultThreads() -> Int {
        max(8, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
