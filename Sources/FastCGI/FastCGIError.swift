import Platform

/// What went wrong while setting up the transport. A failed system call is carried as the POSIX layer's
/// ``SystemError`` (the call and its `errno`).
public enum FastCGIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `FCGX_Init` failed.
    case libraryInitFailed(code: Int32)
    /// The `--listen` value is neither `host:port` nor `unix:/path`.
    case invalidListenAddress(String)
    /// A unix socket path is too long for `sockaddr_un` (107 bytes on Linux).
    case socketPathTooLong(String)
    /// Something other than a socket is at the unix socket path; it is left alone.
    case notASocket(path: String)
    /// Another process is accepting on the unix socket path.
    case socketInUse(path: String)
    /// A system call failed.
    case systemCallFailed(SystemError)
    /// `FCGX_OpenSocket` failed (bind or listen).
    case openSocketFailed(address: String, errno: Int32)
    /// `--socket-owner` names an unknown user or group.
    case unknownOwner(String)
    /// CGI mode was selected but `REQUEST_METHOD` is not set.
    case notACGIRequest

    public var description: String {
        switch self {
        case .libraryInitFailed(let code): return "FCGX_Init failed (\(code))"
        case .invalidListenAddress(let text):
            return "invalid listen address '\(text)': use host:port (e.g. 127.0.0.1:9000) or unix:/path/to.sock"
        case .socketPathTooLong(let path): return "unix socket path too long: \(path)"
        case .notASocket(let path): return "refusing to replace \(path): it exists and is not a socket"
        case .socketInUse(let path): return "\(path) is in use: another process accepts on it"
        case .systemCallFailed(let error): return error.description
        case .openSocketFailed(let address, let code): return "cannot listen on \(address): \(POSIX.errorText(code))"
        case .unknownOwner(let text): return "unknown user or group in socket owner '\(text)'"
        case .notACGIRequest:
            return "no FastCGI socket on fd 0 and no REQUEST_METHOD in the environment: "
                + "use --listen ADDRESS, start under spawn-fcgi, or run as a CGI program"
        }
    }
}
