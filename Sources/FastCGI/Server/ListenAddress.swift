/// Where to accept FastCGI connections when the process opens its own socket (`--listen`).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A TCP socket, e.g. `127.0.0.1:9000`. An empty host means every IPv4 address.
    case tcp(host: String, port: UInt16)
    /// A unix-domain socket at an absolute or relative path.
    case unix(path: String)

    /// Parses `host:port`, `:port`, `unix:/path/to.sock` or a bare path containing `/`.
    /// - Parameter text: the `--listen` value.
    /// - Throws: `FastCGIError.invalidListenAddress` when it is none of these.
    public init(parsing text: String) throws(FastCGIError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw .invalidListenAddress(text) }
            self = .unix(path: path)
            return
        }
        if text.contains("/") {
            self = .unix(path: text)
            return
        }
        guard let colon = text.lastIndex(of: ":"),
            let port = UInt16(text[text.index(after: colon)...]), port > 0
        else { throw .invalidListenAddress(text) }
        let host = String(text[..<colon])
        guard !host.contains(":"), !host.contains(" ") else { throw .invalidListenAddress(text) }
        self = .tcp(host: host, port: port)
    }

    /// `host:port` or `unix:/path`, as accepted by `init(parsing:)`.
    public var description: String {
        switch self {
        case .tcp(let host, let port): return "\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}
