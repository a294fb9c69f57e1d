import Logging
import Platform
import Testing
@testable import FastCGI

/// The accept loop end to end, in process: a real `FastCGIServer` on 127.0.0.1 and a minimal FastCGI
/// client speaking to it the way nginx does.
@Suite(.serialized) struct FastCGIServerTests {
    /// Answers `fd=N cloexec=B` for the server side of the client's connection (found by the client's
    /// port, sent as CLIENT_PORT), so a test can see the accepted descriptor's flags.
    struct DescriptorReporter: FastCGIResponder {
        func respond(to request: FastCGIRequest) -> FastCGIResponse {
            guard let port = request.params["CLIENT_PORT"].flatMap(UInt16.init),
                  let fd = TestServer.serverSide(ofClientPort: port)
            else { return .text(500, "no connection from that port") }
            let flags = fcntl(fd, F_GETFD)
            return .text(200, "fd=\(fd) cloexec=\(flags >= 0 && flags & FD_CLOEXEC != 0)")
        }
    }

    struct Echo: FastCGIResponder {
        func respond(to request: FastCGIRequest) -> FastCGIResponse {
            .text(200, "echo \(request.params["N"] ?? "-")")
        }
    }

    @Test func everyAcceptedConnectionAndTheListeningSocketAreCloseOnExec() throws {
        let server = try TestServer(threads: 2, responder: DescriptorReporter())
        defer { server.stop() }
        let listeningFlags = fcntl(server.server.socket.fileDescriptor, F_GETFD)
        #expect(listeningFlags >= 0 && listeningFlags & FD_CLOEXEC != 0)
        // A kept connection: the first request (just accepted) and the next one (parked, then taken
        // again, maybe by the other worker) see the same close-on-exec descriptor.
        let kept = try TestClient(port: server.port)
        let first = try kept.request(["CLIENT_PORT": String(kept.localPort)], keepConnection: true)
        let second = try kept.request(["CLIENT_PORT": String(kept.localPort)], keepConnection: true)
        #expect(first.hasSuffix(" cloexec=true"), "\(first)")
        #expect(first == second)
        // A connection that is not kept, as nginx's default.
        let single = try TestClient(port: server.port)
        let answer = try single.request(["CLIENT_PORT": String(single.localPort)], keepConnection: false)
        #expect(answer.hasPrefix("fd=") && answer.hasSuffix(" cloexec=true"), "\(answer)")
        #expect(single.readsEndOfStream())
    }

    @Test func keptConnectionsOutnumberingTheThreadsAreAllServedAndNoneIsClosed() throws {
        // One thread, three kept connections left idle between their requests: a thread held by an idle
        // kept connection would leave the second one unanswered (the client's read would time out), and a
        // thread freed by closing one would show as that connection's end of stream.
        let server = try TestServer(threads: 1, responder: Echo())
        defer { server.stop() }
        let clients = try (0..<3).map { _ in try TestClient(port: server.port) }
        for (index, client) in clients.enumerated() {
            #expect(try client.request(["N": "a\(index)"], keepConnection: true) == "echo a\(index)")
        }
        for client in clients { #expect(!client.hasPendingInput()) }
        for (index, client) in clients.enumerated().reversed() {
            #expect(try client.request(["N": "b\(index)"], keepConnection: true) == "echo b\(index)")
        }
    }

    @Test func stopClosesTheParkedKeptConnections() throws {
        let server = try TestServer(threads: 2, responder: Echo())
        let client = try TestClient(port: server.port)
        #expect(try client.request(["N": "1"], keepConnection: true) == "echo 1")
        server.stop()
        #expect(client.readsEndOfStream())
    }

    @Test func peersOutsideTheWebServerAddressesAreRefused() throws {
        let refusing = try TestServer(threads: 1, responder: Echo(), webServerAddresses: "10.1.2.3, 127.0.0.2")
        defer { refusing.stop() }
        // Nothing sent: the server closes the connection right after accepting it (an unread request
        // would turn that close into a reset).
        #expect(try TestClient(port: refusing.port).readsEndOfStream())

        let allowing = try TestServer(threads: 1, responder: Echo(), webServerAddresses: "10.1.2.3, 127.0.0.1")
        defer { allowing.stop() }
        #expect(try TestClient(port: allowing.port).request(["N": "y"], keepConnection: false) == "echo y")
    }

    @Test func webServerAddressListParsesLikeLibfcgi() {
        #expect(FastCGIServer.parseAddresses(nil).isEmpty)
        #expect(FastCGIServer.parseAddresses("").isEmpty)
        let parsed = FastCGIServer.parseAddresses("127.0.0.1, 10.0.0.2 ,bogus")
        #expect(parsed == [inet_addr("127.0.0.1"), inet_addr("10.0.0.2"), in_addr_t.max])  // INADDR_NONE
    }
}

/// A server on 127.0.0.1 and a free port, running on its own thread until `stop()`.
final class TestServer: Sendable {
    let server: FastCGIServer
    let port: UInt16
    private let thread: PosixThread

    init(threads: Int, responder: some FastCGIResponder, webServerAddresses: String? = nil) throws {
        let port = try Self.freePort()
        let socket = try ListenSocket.open(.tcp(host: "127.0.0.1", port: port))
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let server = try FastCGIServer(
            socket: socket, configuration: .init(threads: threads, handlesSignals: false, ioTimeoutMS: 3000),
            logger: quiet, webServerAddresses: webServerAddresses)
        thread = try PosixThread { try? server.run(responder: responder) }
        self.server = server
        self.port = port
    }

    /// Stops the server and waits until `run` returned (workers joined, parked connections closed).
    func stop() {
        server.stop()
        thread.join()
    }

    static func freePort() throws -> UInt16 {
        let fd = try POSIX.call("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        defer { POSIX.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                try POSIX.call("bind") { bind(fd, raw, length) }
                try POSIX.call("getsockname") { getsockname(fd, raw, &length) }
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The descriptor in this process whose peer is 127.0.0.1:`port` (the server side of a test client).
    static func serverSide(ofClientPort port: UInt16) -> Int32? {
        for fd in Int32(3)..<Int32(4096) {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let found = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
            }
            if found == 0 && Int32(address.sin_family) == AF_INET && UInt16(bigEndian: address.sin_port) == port {
                // The client's own socket has the server's port as its peer; this one has the client's.
                return fd
            }
        }
        return nil
    }
}

/// A FastCGI client on one connection (responder role, request id 1), as nginx speaks it.
final class TestClient {
    let fd: Int32
    let localPort: UInt16

    init(port: UInt16) throws {
        fd = try POSIX.call("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = fd
        try withUnsafeMutablePointer(to: &address) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                try POSIX.call("connect") { connect(fd, raw, length) }
                try POSIX.call("getsockname") { getsockname(fd, raw, &length) }
            }
        }
        localPort = UInt16(bigEndian: address.sin_port)
    }

    deinit { POSIX.close(fd) }

    /// Sends one request and reads its answer.
    /// - Returns: the response body (after the CGI headers).
    func request(_ params: [String: String], keepConnection: Bool) throws -> String {
        try send(params, keepConnection: keepConnection)
        var stdout: [UInt8] = []
        while true {
            let header = try read(8)
            let type = header[1]
            let length = Int(header[4]) << 8 | Int(header[5])
            let content = try read(length + Int(header[6]))
            if type == 6 { stdout += content.prefix(length) }  // FCGI_STDOUT
            if type == 3 { break }  // FCGI_END_REQUEST
        }
        // The body follows the CGI headers' blank line.
        let blank: [UInt8] = [13, 10, 13, 10]
        let start = stdout.indices.first { stdout[$0...].starts(with: blank) }.map { $0 + 4 } ?? 0
        return String(decoding: stdout[start...], as: UTF8.self)
    }

    /// Sends FCGI_BEGIN_REQUEST, the parameters (plus REQUEST_METHOD GET) and an empty body.
    func send(_ params: [String: String], keepConnection: Bool) throws {
        var encoded: [UInt8] = []
        for (name, value) in params.merging(["REQUEST_METHOD": "GET"], uniquingKeysWith: { first, _ in first }) {
            encoded += [UInt8(name.utf8.count), UInt8(value.utf8.count)] + Array(name.utf8) + Array(value.utf8)
        }
        var bytes = Self.record(1, [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0])  // responder role
        bytes += Self.record(4, encoded) + Self.record(4, []) + Self.record(5, [])
        try POSIX.writeAll(fd, bytes)
    }

    /// Whether the server closed its side: a read returns end of stream (not a timeout, not data).
    func readsEndOfStream() -> Bool {
        var byte: UInt8 = 0
        return (try? POSIX.call("read") { Glibc.read(fd, &byte, 1) }) == 0
    }

    /// Whether anything (data or end of stream) is waiting to be read.
    func hasPendingInput() -> Bool {
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return Glibc.poll(&poll, 1, 0) > 0
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = try bytes.withUnsafeMutableBytes { raw throws(SystemError) in
                try POSIX.call("read") { Glibc.read(fd, raw.baseAddress! + got, count - got) }
            }
            guard n > 0 else { throw SystemError(call: "read (end of stream)", errno: 0) }
            got += n
        }
        return bytes
    }

    private static func record(_ type: UInt8, _ content: [UInt8]) -> [UInt8] {
        let length = content.count
        return [1, type, 0, 1, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + content
    }
}
