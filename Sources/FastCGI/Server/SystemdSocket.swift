import CFastCGI
import Platform

/// The listening socket systemd passes to a socket-activated service: the `LISTEN_FDS`/`LISTEN_PID`
/// protocol of `sd_listen_fds(3)`, without linking libsystemd.
///
/// systemd (or `systemd-socket-activate`) opens the socket of the `.socket` unit, starts the service with
/// it on fd 3 (`SD_LISTEN_FDS_START`) and sets `LISTEN_PID` to the service's pid and `LISTEN_FDS` to the
/// number of descriptors passed. wecom-fcgi serves one socket, so it accepts exactly one.
public enum SystemdSocket {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstFileDescriptor: Int32 = 3

    /// The protocol's variables; ``take()`` unsets all of them, so that programs started later (exec
    /// actions) neither see them nor mistake themselves for the activated service.
    public static let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]

    /// Why the passed socket cannot be used; the text says what was found and what to change.
    public struct ActivationError: Error, Sendable, Equatable, CustomStringConvertible {
        /// E.g. `LISTEN_FDS=2: wecom-fcgi serves one socket; give the .socket unit one ListenStream=`.
        public var description: String
    }

    /// How many descriptors the variables pass to the process `processID`.
    /// - Parameters:
    ///   - listenPID: the value of `LISTEN_PID`, or `nil` when unset.
    ///   - listenFDs: the value of `LISTEN_FDS`, or `nil` when unset.
    ///   - processID: this process's pid.
    /// - Returns: the count (≥ 1), or `nil` when nothing is passed to this process (a variable unset,
    ///   `LISTEN_FDS=0`, or `LISTEN_PID` names another process, which inherited them from us or from
    ///   its parent).
    /// - Throws: ``ActivationError`` when a value is not a number.
    public static func passedCount(listenPID: String?, listenFDs: String?, processID: Int32) throws(ActivationError) -> Int? {
        guard let listenPID, let listenFDs else { return nil }
        guard let pid = Int32(listenPID), pid > 0 else {
            throw ActivationError(description: "LISTEN_PID=\(listenPID) is not a process id")
        }
        guard let count = Int(listenFDs), count >= 0 else {
            throw ActivationError(description: "LISTEN_FDS=\(listenFDs) is not a count of descriptors")
        }
        guard pid == processID, count > 0 else { return nil }
        return count
    }

    /// Takes the socket systemd passed on fd 3, if this process was socket-activated, and unsets the
    /// protocol's ``variables`` in every case.
    ///
    /// The socket must be a listening stream socket; it gets `FD_CLOEXEC` (no program started later
    /// inherits it). Closing it at shutdown leaves systemd's own copy open.
    /// - Returns: the socket, or `nil` when the process was not socket-activated.
    /// - Throws: ``ActivationError`` when the variables are malformed, pass more than one descriptor, or
    ///   fd 3 is not a listening stream socket.
    public static func take() throws(ActivationError) -> ListenSocket? {
        let listenPID = getenv("LISTEN_PID").map { String(cString: $0) }
        let listenFDs = getenv("LISTEN_FDS").map { String(cString: $0) }
        for name in variables { unsetenv(name) }
        guard let count = try passedCount(listenPID: listenPID, listenFDs: listenFDs, processID: getpid()) else {
            return nil
        }
        guard count == 1 else {
            throw ActivationError(
                description: "LISTEN_FDS=\(count): wecom-fcgi serves one socket; give the .socket unit one ListenStream=")
        }
        let fd = firstFileDescriptor
        guard isListeningStreamSocket(fd) else {
            throw ActivationError(description: "fd \(fd) from systemd (LISTEN_FDS=1) is not a listening stream socket")
        }
        do {
            try POSIX.setCloseOnExec(fd)
        } catch {
            throw ActivationError(description: "fd \(fd) from systemd: \(error)")
        }
        let name = unixPath(of: fd).map { "fd \(fd) (systemd, unix:\($0))" } ?? "fd \(fd) (systemd)"
        return ListenSocket(fileDescriptor: fd, displayName: name, ownedPath: nil)
    }

    /// Whether `fd` is a socket of type `SOCK_STREAM` on which `listen(2)` was called.
    private static func isListeningStreamSocket(_ fd: Int32) -> Bool {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 else { return nil }
            return value
        }
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        return option(SO_TYPE) == stream && option(SO_ACCEPTCONN) == 1
    }

    /// The path a unix socket is bound to, for logs; `nil` for other sockets or an unnamed one.
    private static func unixPath(of fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let path = withUnsafeBytes(of: address.sun_path) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }
}
