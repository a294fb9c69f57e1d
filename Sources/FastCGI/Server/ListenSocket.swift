import CFastCGI
import Platform

/// The listening socket the workers accept on: inherited on fd 0 (spawn-fcgi) or opened by us (`--listen`).
public struct ListenSocket: Sendable {
    /// The listening file descriptor.
    public let fileDescriptor: Int32
    /// Where it listens, for logs: `fd 0 (inherited)`, `127.0.0.1:9000` or `unix:/path`.
    public let displayName: String
    /// The socket file to remove at shutdown; set only for unix sockets this process created.
    let ownedPath: String?

    /// The FastCGI listening socket a process manager (spawn-fcgi, a web server) passed on fd 0.
    /// - Returns: the socket on `FCGI_LISTENSOCK_FILENO`; it is never unlinked or closed by us.
    public static func inherited() -> ListenSocket {
        ListenSocket(fileDescriptor: 0, displayName: "fd 0 (inherited)", ownedPath: nil)
    }

    /// Whether fd 0 is a listening socket, i.e. the process was started by spawn-fcgi or a similar
    /// process manager. When it is not, the process is a CGI program (or was started by hand).
    /// - Returns: `true` when `FCGX_IsCGI()` says fd 0 is a FastCGI listening socket.
    public static func standardInputIsListening() -> Bool {
        FCGX_Init() == 0 && FCGX_IsCGI() == 0
    }

    /// Opens a listening socket with `FCGX_OpenSocket`.
    ///
    /// For a unix socket: creates the parent directory (mode 0755) if missing, removes a stale socket
    /// file (refusing when something else sits there or another process still accepts on it), binds,
    /// then sets `mode` and, when given, `owner`.
    /// - Parameters:
    ///   - address: where to listen.
    ///   - backlog: the `listen(2)` backlog.
    ///   - mode: permission bits for a unix socket file, e.g. `0o660`.
    ///   - owner: user and/or group for a unix socket file; `nil` leaves them as created.
    /// - Returns: the open socket.
    /// - Throws: `FastCGIError` naming the step that failed.
    public static func open(
        _ address: ListenAddress, backlog: Int32 = 1024, mode: UInt32 = 0o660, owner: SocketOwner? = nil
    ) throws(FastCGIError) -> ListenSocket {
        let code = FCGX_Init()
        guard code == 0 else { throw .libraryInitFailed(code: code) }
        switch address {
        case .tcp(let host, let port):
            let fd = FCGX_OpenSocket("\(host):\(port)", backlog)
            guard fd >= 0 else { throw .openSocketFailed(address: address.description, errno: errno) }
            return ListenSocket(fileDescriptor: fd, displayName: address.description, ownedPath: nil)
        case .unix(let path):
            try prepareUnixPath(path)
            let fd = FCGX_OpenSocket(path, backlog)
            guard fd >= 0 else { throw .openSocketFailed(address: address.description, errno: errno) }
            let socket = ListenSocket(fileDescriptor: fd, displayName: address.description, ownedPath: path)
            guard chmod(path, mode_t(mode)) == 0 else {
                let saved = errno
                socket.close()
                throw .systemCallFailed(SystemError(call: "chmod \(path)", errno: saved))
            }
            if let owner {
                let uid = owner.userID.map { uid_t($0) } ?? uid_t.max
                let gid = owner.groupID.map { gid_t($0) } ?? gid_t.max
                guard chown(path, uid, gid) == 0 else {
                    let saved = errno
                    socket.close()
                    throw .systemCallFailed(SystemError(call: "chown \(path) to \(owner)", errno: saved))
                }
            }
            return socket
        }
    }

    /// Closes the socket (unless inherited) and removes the socket file this process created.
    public func close() {
        guard ownedPath != nil || fileDescriptor != 0 else { return }
        if let ownedPath { unlink(ownedPath) }
        POSIX.close(fileDescriptor)
    }

    private static func prepareUnixPath(_ path: String) throws(FastCGIError) {
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw .socketPathTooLong(path)
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw .notASocket(path: path) }
        if someoneAccepts(on: path) { throw .socketInUse(path: path) }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw .systemCallFailed(SystemError(call: "unlink stale \(path)", errno: errno))
        }
    }

    private static func makeDirectories(_ directory: String) throws(FastCGIError) {
        var info = stat()
        if stat(directory, &info) == 0 { return }
        if let slash = directory.lastIndex(of: "/"), slash != directory.startIndex {
            try makeDirectories(String(directory[..<slash]))
        }
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            throw .systemCallFailed(SystemError(call: "mkdir \(directory)", errno: errno))
        }
    }

    /// Whether a `connect(2)` to the unix socket at `path` succeeds (another server is live).
    private static func someoneAccepts(on path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { POSIX.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
