import CFastCGI
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FastCGIServer {
    enum Readiness {
        case readable
        case stop
        case retry
        /// Give up the idle kept-alive connection: a new connection is waiting and no other worker
        /// takes it.
        case release
    }

    /// How long a worker idle on a kept-alive connection lets the other workers take a new
    /// connection before it gives its kept connection up to take the new one itself.
    static let keptConnectionGrace: Int32 = 20  // milliseconds

    /// One worker thread: wait, accept, read, respond, finish; until the wake-up pipe says stop.
    func work(index: Int, responder: some FastCGIResponder) {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        guard FCGX_InitRequest(request, socket.fileDescriptor, 0) == 0 else {
            logger.error("worker \(index): FCGX_InitRequest failed")
            return
        }
        // Closes a kept-alive web server connection still open at shutdown.
        defer { FCGX_Free(request, 1) }
        let listenWaiter = ListenWaiter(listening: socket.fileDescriptor, wake: wakeReadFD)
        defer { listenWaiter?.close() }

        var backlogSeen: ContinuousClock.Instant?
        while true {
            // A kept-alive connection (fastcgi_keep_conn on) carries the next request itself;
            // otherwise the next request starts with a new connection on the listening socket.
            let keptConnection = request.pointee.ipcFd
            let readiness = keptConnection >= 0
                ? waitOnKeptConnection(keptConnection, backlogSeen: &backlogSeen)
                : listenWaiter?.wait(isStopping: { self.isStopping }) ?? waitReadable(socket.fileDescriptor)
            var holdsReleaseClaim = false
            switch readiness {
            case .stop: return
            case .retry: continue
            case .release:
                // waitOnKeptConnection took `releaseClaim`; it is given back once this accept returned,
                // so the next idle worker sees whether a connection is still waiting.
                holdsReleaseClaim = true
                backlogSeen = nil
                logger.debug("worker \(index): gave up an idle kept-alive connection for a waiting new one")
                FCGX_Free(request, 1)
            case .readable: break
            }
            let result = FCGX_Accept_r(request)
            if holdsReleaseClaim { releaseClaim.store(false, ordering: .releasing) }
            guard result >= 0 else {
                let code = -result
                if code == EAGAIN || code == EWOULDBLOCK || code == EINTR || code == ECONNABORTED
                    || code == ECONNRESET || code == EPROTO
                {
                    continue  // another worker took the connection, or the web server gave up
                }
                if isStopping { return }
                logger.error("worker \(index): FCGX_Accept_r failed: \(errnoText(code))")
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    usleep(100_000)  // transient resource shortage: back off instead of spinning
                    continue
                }
                _ = stop()
                return
            }
            serve(request, responder: responder)
            FCGX_Finish_r(request)
        }
    }

    /// Waits until `fd` is readable or the wake-up pipe says stop (which wins when both are ready).
    private func waitReadable(_ fd: Int32) -> Readiness {
        var fds = [
            pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, nfds_t(fds.count), -1)
        if ready < 0 { return errno == EINTR ? .retry : .stop }
        if fds[0].revents != 0 || isStopping { return .stop }
        return fds[1].revents != 0 ? .readable : .retry
    }

    /// Waits on an idle kept-alive connection (`fastcgi_keep_conn on`) for its next request, while
    /// also watching the listening socket.
    ///
    /// A worker holding an idle kept connection cannot accept new ones. When the web server keeps
    /// more idle connections than there are spare workers, new connections would wait in the
    /// backlog until the web server closed an idle one (nginx: `keepalive_timeout`, 60 s by
    /// default) — a stall. So when a new connection arrives and is still waiting after
    /// ``keptConnectionGrace`` (no free worker took it), this worker gives its idle connection up
    /// (`.release`) and takes the new one. The web server then sees its idle connection close;
    /// nginx drops it from its cache, and retries a request that raced with the close on a new
    /// connection (with `fastcgi_next_upstream error non_idempotent`, as `nginx.conf.example`).
    /// - Parameters:
    ///   - fd: the kept connection.
    ///   - backlogSeen: this worker's note of when it first saw a new connection waiting (kept
    ///     across calls; `nil` when none waits).
    func waitOnKeptConnection(_ fd: Int32, backlogSeen: inout ContinuousClock.Instant?) -> Readiness {
        var fds = [
            pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, nfds_t(fds.count), -1)
        if ready < 0 { return errno == EINTR ? .retry : .stop }
        if fds[0].revents != 0 || isStopping { return .stop }
        guard fds[2].revents != 0 else {
            backlogSeen = nil
            return fds[1].revents != 0 ? .readable : .retry  // the next request, or the web server closed it
        }
        // A new connection waits. A busy kept connection is served first; the next time this worker
        // would wait on it, a new connection seen waiting for longer than the grace makes it give the
        // kept connection up (otherwise a few busy kept connections could starve the backlog).
        let now = ContinuousClock.now
        let seen = backlogSeen ?? now
        backlogSeen = seen
        if fds[1].revents != 0 { return .readable }
        let grace = Duration.milliseconds(Int(Self.keptConnectionGrace))
        if now - seen >= grace {
            return claimRelease(&backlogSeen)
        }
        // Give the free workers the rest of the grace to take it, serving our own if it speaks.
        var own = [fds[0], fds[1]]
        own[0].revents = 0
        own[1].revents = 0
        let (seconds, attoseconds) = (grace - (now - seen)).components
        let waitMs = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
        let spoke = poll(&own, nfds_t(own.count), waitMs)
        if spoke < 0 { return errno == EINTR ? .retry : .stop }
        if own[0].revents != 0 || isStopping { return .stop }
        if own[1].revents != 0 { return .readable }
        var listening = pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&listening, 1, 0) > 0 else {
            backlogSeen = nil
            return .retry
        }
        return claimRelease(&backlogSeen)
    }

    /// `.release` when this worker takes ``releaseClaim`` (one worker gives up its kept connection
    /// at a time); otherwise `.retry`, keeping `backlogSeen`, to look again once the claim is free.
    private func claimRelease(_ backlogSeen: inout ContinuousClock.Instant?) -> Readiness {
        guard releaseClaim.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            // Another worker is giving its connection up for the waiting one: wait a little for it
            // instead of spinning on a listening socket that stays readable until it accepts.
            usleep(1000)
            return .retry
        }
        backlogSeen = nil
        return .release
    }

    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>, responder: some FastCGIResponder) {
        let params = Self.readParams(request.pointee.envp)
        let lengthHint = params["CONTENT_LENGTH"].flatMap { Int($0) }
        let (body, tooLarge) = Self.readBody(request.pointee.in, limit: configuration.maxBodyBytes, lengthHint: lengthHint)
        if tooLarge {
            // The rest of the body stays unread, so this connection cannot carry another request
            // (libfcgi would read the leftover as the next one and fail): close it after the answer
            // even when the web server asked to keep it. nginx then simply does not reuse it.
            request.pointee.keepConnection = 0
        }
        let response = responder.respond(to: FastCGIRequest(params: params, body: body, bodyTooLarge: tooLarge))
        let head = response.encodedHead()
        let wrote = Self.put(head, request.pointee.out) && Self.put(response.body, request.pointee.out)
        if !wrote {
            logger.debug("web server closed the connection before the response was written")
        }
    }

    /// Copies libfcgi's `NAME=value` parameter array into a dictionary.
    ///
    /// Splits at the first `=` byte with `strchr` and decodes name and value separately: searching a
    /// `String` for `"="` walks grapheme clusters, and with nginx's ~30 parameters per request that was
    /// about 15 % of the responder's CPU under load. Invalid UTF-8 is repaired as `String(cString:)` does.
    private static func readParams(_ envp: FCGX_ParamArray?) -> [String: String] {
        // nginx sends about 30 parameters: room for them up front instead of growing (and rehashing) twice.
        var params = [String: String](minimumCapacity: 48)
        guard var cursor = envp else { return params }
        while let entry = cursor.pointee {
            if let equals = strchr(entry, Int32(UInt8(ascii: "="))) {
                let name = UnsafeRawBufferPointer(start: entry, count: equals - entry)
                params[String(decoding: name, as: UTF8.self)] = String(cString: equals + 1)
            }
            cursor += 1
        }
        return params
    }

    /// Reads the body stream until it ends or `limit + 1` bytes arrived; `CONTENT_LENGTH` is only a sizing
    /// hint, so a missing or lying value can neither hang the worker nor overrun the buffer.
    /// - Parameters:
    ///   - stream: libfcgi's input stream.
    ///   - limit: the most bytes kept.
    ///   - lengthHint: `CONTENT_LENGTH`, used only to size the first buffer (one byte more, so the end
    ///     of the stream is seen without growing); a wrong value costs a reallocation, nothing else.
    /// - Returns: at most `limit` bytes, and whether more were available.
    static func readBody(_ stream: UnsafeMutablePointer<FCGX_Stream>?, limit: Int, lengthHint: Int? = nil) -> ([UInt8], Bool) {
        guard let stream else { return ([], false) }
        let wanted = limit + 1
        let first = lengthHint.map { max(1, min($0, 1 << 20) + 1) } ?? 16 * 1024
        var body = [UInt8](repeating: 0, count: min(wanted, first))
        var count = 0
        while count < wanted {
            if count == body.count {
                body.append(contentsOf: repeatElement(0, count: min(body.count, wanted - body.count)))
            }
            let chunk = body.count - count
            let got = body.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return 0 }
                return (base + count).withMemoryRebound(to: CChar.self, capacity: chunk) {
                    FCGX_GetStr($0, Int32(chunk), stream)
                }
            }
            guard got > 0 else { break }
            count += Int(got)
            if Int(got) < chunk { break }  // libfcgi returns less than asked only at the end of the stream
        }
        let tooLarge = count > limit
        body.removeSubrange(min(count, limit)...)
        return (body, tooLarge)
    }

    private static func put(_ bytes: [UInt8], _ stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        guard let stream else { return false }
        guard !bytes.isEmpty else { return true }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                FCGX_PutStr($0, Int32(buffer.count), stream) == Int32(buffer.count)
            }
        }
    }
}

/// Waits for a new connection on the listening socket without waking every idle worker for each one:
/// each worker has its own epoll set holding the listening socket with `EPOLLEXCLUSIVE` (so the kernel
/// wakes one waiter per connection instead of the whole herd) and the wake-up pipe (which wakes all).
struct ListenWaiter {
    private let epollFD: Int32

    /// - Returns: `nil` when epoll is unavailable; the worker then falls back to `poll(2)`.
    init?(listening: Int32, wake: Int32) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { return nil }
        var listenEvent = epoll_event()
        listenEvent.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        listenEvent.data.fd = listening
        var wakeEvent = epoll_event()
        wakeEvent.events = EPOLLIN.rawValue
        wakeEvent.data.fd = wake
        guard epoll_ctl(fd, EPOLL_CTL_ADD, listening, &listenEvent) == 0,
              epoll_ctl(fd, EPOLL_CTL_ADD, wake, &wakeEvent) == 0
        else {
            Glibc.close(fd)
            return nil
        }
        epollFD = fd
    }

    func wait(isStopping: () -> Bool) -> FastCGIServer.Readiness {
        var events = (epoll_event(), epoll_event())
        let ready = withUnsafeMutableBytes(of: &events) { raw in
            epoll_wait(epollFD, raw.baseAddress?.assumingMemoryBound(to: epoll_event.self), 2, -1)
        }
        if ready < 0 { return errno == EINTR ? .retry : .stop }
        return isStopping() ? .stop : (ready > 0 ? .readable : .retry)
    }

    func close() {
        Glibc.close(epollFD)
    }
}
