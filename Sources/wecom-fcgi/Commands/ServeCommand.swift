import ArgumentParser
import FastCGI
import Logging
import WeComCallback

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
              no --listen       accept on fd 0 (started by spawn-fcgi)
              neither           CGI: one request from the environment and
                                stdin, the response on stdout

            SIGTERM or SIGINT: stop accepting, finish the requests in
            flight, exit 0. A second signal exits at once with status 1.
            """
    )

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
        "Worker threads, each serving one request at a time (default: number of cores).", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp(
        "Largest request body read, in bytes; a longer body is flagged too large (413).", valueName: "bytes"))
    var maxBodyBytes: Int = 65536

    @Option(help: "Log level on stderr.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if let threads, !(1...1024).contains(threads) {
            throw ValidationError("--threads must be between 1 and 1024")
        }
        guard (0...(64 << 20)).contains(maxBodyBytes) else {
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
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "wecom-fcgi")

        let responder = CallbackResponderAdapter(wrapped: try Self.handlerFromEnvironment(logger: logger))

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
        } else if ListenSocket.standardInputIsListening() {
            socket = ListenSocket.inherited()
            mode = "spawn-fcgi"
        } else {
            logger.debug("CGI mode: fd 0 is not a FastCGI listening socket")
            try CGIGateway.serveOne(responder: responder, maxBodyBytes: maxBodyBytes)
            return
        }

        let configuration = FastCGIServer.Configuration(
            threads: threads ?? Self.onlineCores(), maxBodyBytes: maxBodyBytes)
        let server = try FastCGIServer(socket: socket, configuration: configuration, logger: logger)
        let summary = "mode=\(mode) socket=\(socket.displayName)\(socketDetails) threads=\(configuration.threads)"
        logger.info("wecom-fcgi serving: \(summary) max_body_bytes=\(configuration.maxBodyBytes) pid=\(getpid())")
        try server.run(responder: responder)
    }

    /// One app from `WECOM_APP_CORP_ID`, `WECOM_APP_TOKEN`, `WECOM_APP_AES_KEY`, with the echo action.
    /// - Throws: `ValidationError` naming the missing or malformed credential (never its value).
    static func handlerFromEnvironment(logger: Logger) throws -> CallbackHandler {
        do {
            let credentials = try AppCredentials.fromEnvironment()
            let app = CallbackApp(
                name: "default", path: nil, crypt: try credentials.makeCrypt(), corpID: credentials.corpID,
                processor: EchoProcessor())
            return CallbackHandler(apps: [app], logger: logger)
        } catch {
            throw ValidationError("invalid credentials: \(error.description)")
        }
    }

    private var parsedSocketMode: UInt32? {
        guard let bits = UInt32(socketMode, radix: 8), bits <= 0o777 else { return nil }
        return bits
    }

    private static func onlineCores() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
