import CFastCGI
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The FastCGI accept loop: `threads` worker threads accept on one listening socket through libfcgi and
/// hand each request to a shared responder.
///
/// The only type that touches libfcgi's request structures; responders see `FastCGIRequest` and
/// `FastCGIResponse` values only.
///
/// Shutdown: `stop()` (called by the SIGTERM/SIGINT watcher, or by anyone) sets a flag and writes one
/// byte to a wake-up pipe that is never drained. Idle workers wait in `poll(2)` on the listening socket
/// *and* that pipe, so they all wake and return; a worker busy with a request finishes it (reads the body,
/// writes the response, `FCGX_Finish_r`) and returns on its next `poll`. The listening socket is
/// non-blocking, so a worker that lost the race for a connection gets `EAGAIN` instead of blocking in
/// `accept(2)` where no wake-up could reach it. No signal is ever sent to a worker, so no read or write of
/// a request in flight is interrupted.
public final class FastCGIServer: Sendable {
    /// How the server runs.
    public struct Configuration: Sendable, Equatable {
        /// Number of worker threads; each serves one request at a time.
        public var threads: Int
        /// The largest body read, in bytes; a longer body sets `FastCGIRequest.bodyTooLarge`.
        public var maxBodyBytes: Int
        /// Whether `run` stops on SIGTERM/SIGINT (a watcher thread with `sigwait`).
        public var handlesSignals: Bool
        /// How long a read or write on a web-server connection may block, in milliseconds: a peer that
        /// stalls mid-request (a half-sent record) frees its worker after this. 0 = no limit.
        public var ioTimeoutMS: Int

        /// Creates a configuration.
        /// - Parameters:
        ///   - threads: worker threads, at least 1.
        ///   - maxBodyBytes: body limit in bytes, at least 0.
        ///   - handlesSignals: stop gracefully on SIGTERM/SIGINT.
        ///   - ioTimeoutMS: per-read/write limit on connections in milliseconds (default 3000; 0 = none).
        public init(threads: Int, maxBodyBytes: Int = 65536, handlesSignals: Bool = true, ioTimeoutMS: Int = 3000) {
            self.threads = max(1, threads)
            self.maxBodyBytes = max(0, maxBodyBytes)
            self.handlesSignals = handlesSignals
            self.ioTimeoutMS = max(0, ioTimeoutMS)
        }
    }

    /// The socket the workers accept on.
    public let socket: ListenSocket
    /// The configuration given at creation.
    public let configuration: Configuration
    let logger: Logger
    let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let stopRequests = Atomic<Int>(0)
    /// Held by the one worker that is giving up its idle kept-alive connection to accept a waiting new
    /// one, from the decision until its accept returned: without it every idle worker that saw the same
    /// waiting connection would give its kept connection up at once.
    let releaseClaim = Atomic<Bool>(false)

    /// Prepares a server on an open listening socket; nothing is accepted until `run`.
    /// - Parameters:
    ///   - socket: the listening socket (inherited on fd 0, or from `ListenSocket.open`).
    ///   - configuration: threads and body limit.
    ///   - logger: where start-up, shutdown and transport errors are logged.
    /// - Throws: `FastCGIError` when libfcgi cannot initialise or the socket cannot be made non-blocking.
    public init(socket: ListenSocket, configuration: Configuration, logger: Logger) throws(FastCGIError) {
        let code = FCGX_Init()
        guard code == 0 else { throw .libraryInitFailed(code: code) }
        guard System.makeNonBlocking(socket.fileDescriptor) else {
            throw .systemCallFailed(call: "fcntl O_NONBLOCK on listening socket", errno: errno)
        }
        if configuration.ioTimeoutMS > 0 && !System.setIOTimeout(socket.fileDescriptor, milliseconds: configuration.ioTimeoutMS) {
            throw .systemCallFailed(call: "setsockopt SO_RCVTIMEO/SO_SNDTIMEO on listening socket", errno: errno)
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .systemCallFailed(call: "pipe", errno: errno) }
        _ = System.makeNonBlocking(fds[0])
        _ = System.makeNonBlocking(fds[1])
        self.socket = socket
        self.configuration = configuration
        self.logger = logger
        self.wakeReadFD = fds[0]
        self.wakeWriteFD = fds[1]
    }

    deinit {
        System.close(wakeReadFD)
        System.close(wakeWriteFD)
    }

    /// Whether `stop()` has been called.
    public var isStopping: Bool { stopRequests.load(ordering: .acquiring) > 0 }

    /// Serves requests until `stop()` is called (or SIGTERM/SIGINT arrives when
    /// `configuration.handlesSignals`), then waits for every request in flight to finish and closes the
    /// socket (removing a unix socket file it created).
    ///
    /// With `handlesSignals`, call this from the main thread before any other thread is started: it blocks
    /// SIGTERM/SIGINT in the calling thread so that only the watcher thread receives them. A second signal
    /// during the drain exits at once with status 1.
    /// - Parameters:
    ///   - responder: called concurrently from every worker thread.
    ///   - onReload: called on the signal-watcher thread for each SIGHUP (with `handlesSignals`); SIGHUP
    ///     is ignored when `nil`.
    /// - Throws: `FastCGIError.systemCallFailed` when a thread cannot be created.
    public func run(responder: some FastCGIResponder, onReload: (@Sendable () -> Void)? = nil) throws(FastCGIError) {
        if configuration.handlesSignals {
            TerminationSignals.blockInCallingThread()
            try TerminationSignals.startWatcher { [self] signal in
                let name = TerminationSignals.name(of: signal)
                if signal == TerminationSignals.reloadSignal {
                    logger.info("\(name): reloading")
                    onReload?()
                } else if stop() {
                    logger.info("\(name): stopping; finishing requests in flight")
                } else {
                    logger.warning("\(name) again: exiting without waiting for requests in flight")
                    exit(1)
                }
            }
        }
        var workers: [PosixThread] = []
        defer {
            for worker in workers { worker.join() }
            socket.close()
            logger.info("stopped")
        }
        for index in 0..<configuration.threads {
            do {
                workers.append(try PosixThread { [self] in work(index: index, responder: responder) })
            } catch {
                _ = stop()
                throw error
            }
        }
        logger.debug("\(workers.count) worker threads accepting")
    }

    /// Asks the workers to stop accepting; requests in flight still finish. Safe from any thread.
    /// - Returns: `true` for the first call, `false` when a stop was already requested.
    @discardableResult
    public func stop() -> Bool {
        let previous = stopRequests.add(1, ordering: .acquiringAndReleasing).oldValue
        if previous == 0 {
            System.writeAll(wakeWriteFD, [1])
        }
        return previous == 0
    }
}
