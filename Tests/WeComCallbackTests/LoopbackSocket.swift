import Foundation
import Platform

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks, for the tests' stand-in servers.
/// - Parameter backlog: `listen(2)`'s backlog; `nil` binds without listening (a port nothing answers on).
/// - Returns: the descriptor (the caller closes it) and the port.
/// - Throws: ``SystemError`` when the socket cannot be made, bound or put to listen.
func loopbackSocket(listening backlog: Int32?) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SystemError(call: "socket", errno: errno) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound, backlog.map({ listen(fd, $0) == 0 }) ?? true else {
        let error = SystemError(call: "bind", errno: errno)
        close(fd)
        throw error
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A TCP port on loopback that nothing listens on (bound once, then closed).
/// - Throws: ``SystemError`` as ``loopbackSocket(listening:)``.
func closedLoopbackPort() throws -> Int {
    let (fd, port) = try loopbackSocket(listening: nil)
    close(fd)
    return port
}

/// Accepts connections on `listener` until `isStopped()` (asked before each `accept`) or `accept` fails
/// (the listener was shut down), handing each to `handle` on this thread; closes the listener at the end.
func acceptConnections(on listener: Int32, isStopped: () -> Bool, _ handle: (Int32) -> Void) {
    defer { close(listener) }
    while !isStopped() {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else {
            if errno == EINTR { continue }
            return
        }
        handle(fd)
    }
}
