import FastCGI
import Foundation
import Logging
import Platform
import WeComCallback

/// The running configuration's `CallbackHandler`, swapped atomically on reload (SIGHUP).
///
/// Each request copies the current handler under the lock (a reference copy, nanoseconds) and runs
/// without it, so a reload never waits for requests and requests in flight finish on the configuration
/// they started with. A new configuration that does not validate is logged and the old one kept.
///
/// The lock is the project's ``Locked`` (a pthread mutex). A reader-writer lock stood here because a
/// `Synchronization.Mutex`, whose waiters spin, cost a third of the CPU with 40 threads on 2 cores; the
/// pthread mutex sleeps instead, and through nginx with wrk (32 and 40 threads and connections, 2 cores)
/// it measured the same as the rwlock: about 100 µs of server CPU per request and the same requests/s
/// within the run-to-run noise.
final class ReloadableHandler: FastCGIResponder {
    /// The running configuration and the handler built from it, swapped together.
    private struct Running {
        var server: ConfiguredServer
        var handler: CallbackHandler
    }

    private let running: Locked<Running>
    private let load: @Sendable () throws(ConfigError) -> Configuration
    private let logger: Logger

    /// - Parameters:
    ///   - server: the configuration loaded at start-up, already built.
    ///   - load: loads and validates the configuration anew (same path and environment as at start-up).
    ///   - logger: request and reload logs.
    init(server: ConfiguredServer, load: @escaping @Sendable () throws(ConfigError) -> Configuration, logger: Logger) {
        self.running = Locked(Running(server: server, handler: server.makeHandler(logger: logger)))
        self.load = load
        self.logger = logger
    }

    /// The transport's one seam into the core: the running configuration's ``CallbackHandler`` answers.
    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        FastCGIResponse(handle(CallbackRequest(request)))
    }

    func handle(_ request: CallbackRequest) -> CallbackResponse {
        running.withLock { $0.handler }.handle(request)
    }

    /// Lets the running configuration's active senders drain (at exit); logs the apps that did not
    /// finish in time. A replaced configuration's senders drain by themselves when released.
    /// - Parameter timeout: the longest wait.
    func shutdownActiveSenders(timeout: Duration) {
        let server = running.withLock { $0.server }
        guard !server.activeSenders.isEmpty else { return }
        for app in server.shutdownActiveSenders(timeout: timeout) {
            logger.warning("active send app=\(app): queue not drained at exit")
        }
        for (app, sender) in server.activeSenders.sorted(by: { $0.key < $1.key }) {
            let counts = sender.counts
            logger.info("active send app=\(app) sent=\(counts.sent) failed=\(counts.failed) dropped=\(counts.dropped)")
        }
    }

    /// Loads the configuration again and swaps it in; on any problem keeps the old one and reopens its
    /// journals (the logrotate case). `max_body_bytes`, `log_level` and the socket need a restart.
    func reload() {
        do {
            let configuration = try load()
            let runtime = running.withLock { $0.server.runtime }
            let server = try configuration.makeServer(logger: logger, runtime: runtime)
            let handler = server.makeHandler(logger: logger)
            running.withLock { $0 = Running(server: server, handler: handler) }
            // The journals are the process's (one writer per path across reloads): reopen them for logrotate.
            for failure in server.reopenJournals() { logger.error("journal: \(failure)") }
            for warning in configuration.warnings { logger.warning("config: \(warning)") }
            logger.info("reloaded \(configuration.source): \(server.apps.count) app(s); journals reopened")
        } catch {
            for problem in error.problems { logger.error("config: \(problem)") }
            logger.error("reload refused: keeping the running configuration")
            let failures = running.withLock { $0.server }.reopenJournals()
            for failure in failures { logger.error("journal: \(failure)") }
        }
    }
}
