import CFastCGI
import Logging
import Platform

/// The FastCGI accept loop: `threads` worker threads accept on one listening socket, read each request
/// through libfcgi and hand it to a shared responder.
///
/// The only type that touches libfcgi's request structures; responders see `FastCGIRequest` and
/// `FastCGIResponse` values only.
///
/// Connections: the workers share one epoll set (the listening socket, the wake-up pipe and every kept-alive
/// connection between two requests), so an idle kept connection holds no thread; see
/// `FastCGIServer+Worker.swift`. Every accepted connection is close-on-exec from its `accept4`.
///
/// Shutdown: `stop()` (called by the SIGTERM/SIGINT watcher, or by anyone) sets a flag and writes one
/// byte to a wake-up pipe that is never drained. Idle workers wait in `epoll_wait(2)` on the shared set,
/// which holds that pipe level-triggered, so they all wake and return; a worker busy with a request
/// finishes it (reads the body, writes the response, `FCGX_Finish_r`) and returns on its next wait. The
/// listening socket is non-blocking, so a worker that finds no connection gets `EAGAIN` instead of
/// blocking in `accept(2)` where no wake-up could reach it. Kept connections still parked are closed once
/// the workers are done. No signal is ever sent to a worker, so no read or write of a request in flight
/// is interrupted.
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
    /// The epoll set every worker waits on: listening socket, wake-up pipe, parked kept connections.
    let pollFD: Int32
    /// The kept-alive connections parked between two requests (closed at shutdown).
    let parked = Locked<Set<Int32>>([])
    /// libfcgi's peer allow-list for TCP connections, `FCGI_WEB_SERVER_ADDRS` (comma-separated IPv4
    /// addresses), read once at creation like `FCGX_Init` does; empty = any peer.
    let webServerAddresses: Set<in_addr_t>
    private let stopRequests = Locked<Int>(0)

    /// Prepares a server on an open listening socket; nothing is accepted until `run`.
    /// - Parameters:
    ///   - socket: the listening socket (inherited on fd 0, or from `ListenSocket.open`).
    ///   - configuration: threads and body limit.
    ///   - logger: where start-up, shutdown and transport errors are logged.
    ///   - webServerAddresses: the peers allowed on a TCP socket, comma-separated IPv4 addresses (libfcgi's
    ///     `FCGI_WEB_SERVER_ADDRS`, which is the default); `nil` or empty allows any.
    /// - Throws: `FastCGIError` when libfcgi cannot initialise or the socket, the wake-up pipe or the epoll
    ///   set cannot be set up.
    public init(socket: ListenSocket, configuration: Configuration, logger: Logger,
                webServerAddresses: String? = FastCGIServer.environmentWebServerAddresses()) throws(FastCGIError) {
        let code = FCGX_Init()
        guard code == 0 else { throw .libraryInitFailed(code: code) }
        var fds: [Int32] = [-1, -1]
        var poll: Int32 = -1
        do {
            // The listening socket: non-blocking (a worker that finds nothing gets EAGAIN) and
            // close-on-exec (no program started by a route inherits it).
            try Self.setNonBlocking(socket.fileDescriptor)
            try POSIX.setCloseOnExec(socket.fileDescriptor)
            if configuration.ioTimeoutMS > 0 {
                try Self.setIOTimeout(socket.fileDescriptor, milliseconds: configuration.ioTimeoutMS)
            }
            try POSIX.call("pipe") { pipe(&fds) }
            for fd in fds {
                try Self.setNonBlocking(fd)
                try POSIX.setCloseOnExec(fd)
            }
            poll = try POSIX.call("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
            var wake = epoll_event()
            wake.events = EPOLLIN.rawValue  // level-triggered and never drained: wakes every worker
            wake.data.fd = fds[0]
            try POSIX.call("epoll_ctl") { epoll_ctl(poll, EPOLL_CTL_ADD, fds[0], &wake) }
            var listening = epoll_event()
            listening.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue  // one worker per connection
            listening.data.fd = socket.fileDescriptor
            try POSIX.call("epoll_ctl") { epoll_ctl(poll, EPOLL_CTL_ADD, socket.fileDescriptor, &listening) }
        } catch {
            for fd in fds + [poll] where fd >= 0 { POSIX.close(fd) }
            throw .systemCallFailed(error)
        }
        self.socket = socket
        self.configuration = configuration
        self.logger = logger
        self.wakeReadFD = fds[0]
        self.wakeWriteFD = fds[1]
        self.pollFD = poll
        self.webServerAddresses = Self.parseAddresses(webServerAddresses)
    }

    deinit {
        POSIX.close(pollFD)
        POSIX.close(wakeReadFD)
        POSIX.close(wakeWriteFD)
    }

    /// `FCGI_WEB_SERVER_ADDRS` from the environment, as libfcgi reads it.
    public static func environmentWebServerAddresses() -> String? {
        getenv("FCGI_WEB_SERVER_ADDRS").map { String(cString: $0) }
    }

    /// Whether `stop()` has been called.
    public var isStopping: Bool { stopRequests.withLock { $0 > 0 } }

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
            // Kept-alive connections still parked: nobody will serve them any more.
            for fd in parked.withLock({ parked in defer { parked.removeAll() }; return parked }) { POSIX.close(fd) }
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
        let previous = stopRequests.withLock { count in
            defer { count += 1 }
            return count
        }
        if previous == 0 {
            // The pipe is empty and never drained: one byte always fits.
            try? POSIX.writeAll(wakeWriteFD, [1])
        }
        return previous == 0
    }

    /// Sets `O_NONBLOCK` on `fd`.
    private static func setNonBlocking(_ fd: Int32) throws(SystemError) {
        let flags = try POSIX.call("fcntl") { fcntl(fd, F_GETFL) }
        try POSIX.call("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Sets `SO_RCVTIMEO` and `SO_SNDTIMEO` on a socket; sockets `accept`ed from a listening socket
    /// inherit them (Linux), so a peer that stalls mid-record frees its worker after `milliseconds`.
    private static func setIOTimeout(_ fd: Int32, milliseconds: Int) throws(SystemError) {
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        let size = socklen_t(MemoryLayout<timeval>.size)
        try POSIX.call("setsockopt SO_RCVTIMEO") { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size) }
        try POSIX.call("setsockopt SO_SNDTIMEO") { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size) }
    }

    /// The IPv4 addresses of a comma-separated list, as libfcgi compares them (`inet_addr`, blanks around
    /// an entry ignored); an entry that is no address becomes `INADDR_NONE`, which matches no peer.
    /// - Returns: an empty set (any peer) only for a missing or empty list.
    static func parseAddresses(_ list: String?) -> Set<in_addr_t> {
        guard let list, !list.isEmpty else { return [] }
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return Set(list.split(separator: ",", omittingEmptySubsequences: false).map { entry in
            var text = Substring(entry.drop(while: blank))
            while let last = text.last, blank(last) { text = text.dropLast() }
            return inet_addr(String(text))
        })
    }
}
