/// The small POSIX layer: a system-call wrapper that retries `EINTR` and throws ``SystemError``, and the
/// few helpers whose names clash with Swift members (`close`) or need a loop (`writeAll`).
public enum POSIX {
    /// Runs a system call until it does not fail with `EINTR`.
    /// - Parameters:
    ///   - name: the call's name, for the error.
    ///   - body: the call; `-1` means failure with `errno` set.
    /// - Returns: the call's non-negative result.
    /// - Throws: ``SystemError`` with `errno` for any failure other than `EINTR`.
    @discardableResult
    public static func call<Result: FixedWidthInteger>(_ name: String, _ body: () -> Result) throws(SystemError) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(call: name, errno: code)
        }
    }

    /// `strerror(code)` with the number: `"No such file or directory (errno 2)"`.
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text)) (errno \(code))"
    }

    /// `close(2)`, ignoring the result (Linux closes the descriptor even when it reports `EINTR`).
    public static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Writes every byte to `fd`, retrying after `EINTR` and short writes.
    /// - Throws: ``SystemError`` (`"write"`) when a write fails.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = try call("write") {
                bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset) }
            }
            offset += written
        }
    }

    /// Sets `FD_CLOEXEC` on `fd`, so that no program started later inherits it.
    /// - Throws: ``SystemError`` (`"fcntl"`).
    public static func setCloseOnExec(_ fd: Int32) throws(SystemError) {
        let flags = try call("fcntl") { fcntl(fd, F_GETFD) }
        try call("fcntl") { fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}
