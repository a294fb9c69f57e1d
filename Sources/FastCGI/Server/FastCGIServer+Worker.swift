import CFastCGI
import Logging
import Platform

// How connections reach the workers (no worker is ever bound to an idle connection):
//
// All workers wait on one shared epoll set holding the listening socket, the wake-up pipe, and every
// kept-alive connection between two requests ("parked"). The listening socket and each parked
// connection are registered with EPOLLONESHOT, so one event wakes exactly one worker: for the listening
// socket it accepts one connection (close-on-exec, with `accept4`) and re-arms the socket at once for the
// next worker; for a parked connection it takes the connection out of the set and reads its next
// request. After the response, a connection the web server asked to keep (`fastcgi_keep_conn on`) is
// parked again; any other is closed by libfcgi as usual.
//
// So an idle kept connection holds no thread, and the server never has to close one to free a thread for
// a waiting new connection: with keep-alive, any number of kept connections share the worker threads.
// The server closes a kept connection only (1) right after answering 413 to a body over the limit (its
// unread rest cannot be taken for a next request), (2) at shutdown (parked connections, once the workers
// are done), and (3) when a read or write in the middle of a request fails or times out. (1) and (2)
// close a connection nginx may be about to reuse, and FastCGI has no way to tell nginx not to: a request
// it sends at that very moment fails ("upstream prematurely closed connection"), which only nginx can
// absorb (`fastcgi_next_upstream error timeout non_idempotent`; see nginx.conf.example).
extension FastCGIServer {
    /// One worker thread: take the next connection with a request on it, read, respond, finish, park it
    /// if kept; until the wake-up pipe says stop.
    func work(index: Int, responder: some FastCGIResponder) {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        // No listening socket for libfcgi (-1): it never accepts by itself (it would accept without
        // close-on-exec and block); the worker hands it each connection in `ipcFd`.
        guard FCGX_InitRequest(request, -1, 0) == 0 else {
            logger.error("worker \(index): FCGX_InitRequest failed")
            return
        }
        defer { if request.pointee.ipcFd >= 0 { FCGX_Free(request, 1) } }
        var peekBuffer = [UInt8](repeating: 0, count: ParamsGuard.firstPeekBytes)

        while let connection = nextConnection(worker: index) {
            // libfcgi aborts the process on a parameter length it cannot allocate: checked first.
            if let reason = ParamsGuard.check(connection.fd, timeoutMS: configuration.ioTimeoutMS, buffer: &peekBuffer) {
                logger.warning("closed a FastCGI connection unread: \(reason)")
                POSIX.close(connection.fd)
                continue
            }
            request.pointee.ipcFd = connection.fd
            // FCGX_Accept_r first finishes the previous request and closes `ipcFd` unless it is marked
            // kept; libfcgi sets the flag again from this request's FCGI_BEGIN_REQUEST.
            request.pointee.keepConnection = 1
            guard FCGX_Accept_r(request) >= 0 else {
                // The web server closed the connection (a kept one it no longer wanted), or sent no
                // request on it: libfcgi closed it (`ipcFd` is -1 again). Nothing to answer.
                continue
            }
            serve(request, responder: responder)
            FCGX_Finish_r(request)
            let kept = request.pointee.ipcFd
            if kept >= 0 {
                request.pointee.ipcFd = -1
                park(kept, registered: connection.registered)
            }
        }
    }

    /// A connection with a request to read, and whether it is in the epoll set (a parked one, disarmed).
    struct Connection {
        var fd: Int32
        var registered: Bool
    }

    /// Waits for the next connection with a request on it: a new one on the listening socket, or a
    /// parked kept connection that became readable (or that the web server closed).
    /// - Returns: `nil` once the server stops.
    func nextConnection(worker index: Int) -> Connection? {
        var event = epoll_event()
        while true {
            if isStopping { return nil }
            let ready: Int32
            do {
                ready = try POSIX.call("epoll_wait") { epoll_wait(pollFD, &event, 1, -1) }
            } catch {
                logger.error("worker \(index): \(error); stopping")
                stop()
                return nil
            }
            // A parked connection taken here but not served stays in `parked`; `run` closes it.
            if ready == 0 || isStopping { continue }
            let fd = event.data.fd
            if fd == wakeReadFD { return nil }
            if fd == socket.fileDescriptor {
                guard let accepted = acceptConnection(worker: index) else { continue }
                return Connection(fd: accepted, registered: false)
            }
            parked.withLock { _ = $0.remove(fd) }
            return Connection(fd: fd, registered: true)
        }
    }

    /// Accepts one connection, close-on-exec from the start (no program spawned meanwhile can inherit
    /// it), then re-arms the listening socket for the next worker.
    /// - Returns: the connection, or `nil` when there was none to take (or it was refused).
    private func acceptConnection(worker index: Int) -> Int32? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4(socket.fileDescriptor, $0, &length, Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        let code = errno
        arm(socket.fileDescriptor, events: EPOLLIN.rawValue, operation: EPOLL_CTL_MOD)
        guard fd >= 0 else {
            switch code {
            case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO, ECONNRESET:
                return nil  // nothing waiting after all, or the web server gave up on it
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                logger.error("worker \(index): accept4 failed: \(POSIX.errorText(code))")
                usleep(100_000)  // transient resource shortage: back off instead of spinning
                return nil
            default:
                if !isStopping {
                    logger.error("worker \(index): accept4 failed: \(POSIX.errorText(code)); stopping")
                    stop()
                }
                return nil
            }
        }
        if Int32(address.ss_family) == AF_INET {
            let peer = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            }
            guard webServerAddresses.isEmpty || webServerAddresses.contains(peer) else {
                logger.warning("refused a connection from \(Self.text(ofIPv4: peer)): not in FCGI_WEB_SERVER_ADDRS")
                POSIX.close(fd)
                return nil
            }
            // What libfcgi did for TCP: a response goes out at once, not after Nagle's delay.
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        return fd
    }

    /// Parks a kept connection between requests: in the epoll set, armed for one wake-up.
    private func park(_ fd: Int32, registered: Bool) {
        parked.withLock { _ = $0.insert(fd) }
        let events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        if arm(fd, events: events, operation: registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD) { return }
        let code = errno
        parked.withLock { _ = $0.remove(fd) }
        logger.error("cannot park a kept-alive connection (epoll_ctl: \(POSIX.errorText(code))); closing it")
        POSIX.close(fd)
    }

    /// Registers or re-arms `fd` in the shared epoll set for one event (`EPOLLONESHOT`).
    /// - Returns: whether `epoll_ctl` succeeded.
    @discardableResult
    private func arm(_ fd: Int32, events: UInt32, operation: Int32) -> Bool {
        var event = epoll_event()
        event.events = events | EPOLLONESHOT.rawValue
        event.data.fd = fd
        return epoll_ctl(pollFD, operation, fd, &event) == 0
    }

    private static func text(ofIPv4 address: in_addr_t) -> String {
        var bytes = address
        return withUnsafeBytes(of: &bytes) { $0.map(String.init).joined(separator: ".") }
    }

    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>, responder: some FastCGIResponder) {
        let params = Self.readParams(request.pointee.envp)
        let lengthHint = params.value(of: "CONTENT_LENGTH").flatMap { Int($0) }
        let (body, tooLarge) = Self.readBody(request.pointee.in, limit: configuration.maxBodyBytes, lengthHint: lengthHint)
        if tooLarge {
            // The rest of the body stays unread, so this connection cannot carry another request
            // (libfcgi would read the leftover as the next one and fail): close it after the answer
            // even when the web server asked to keep it. nginx then simply does not reuse it.
            request.pointee.keepConnection = 0
        }
        let response = responder.respond(to: FastCGIRequest(parameters: params, body: body, bodyTooLarge: tooLarge))
        let head = response.encodedHead()
        let wrote = Self.put(head, request.pointee.out) && Self.put(response.body, request.pointee.out)
        if !wrote {
            logger.debug("web server closed the connection before the response was written")
        }
    }

    /// Copies libfcgi's `NAME=value` parameter array into one ``Parameters`` buffer (no string or
    /// dictionary per parameter: see ``Parameters``).
    private static func readParams(_ envp: FCGX_ParamArray?) -> Parameters {
        var params = Parameters()
        guard var cursor = envp else { return params }
        while let entry = cursor.pointee {
            params.append(entry: entry)
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
