#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small wrappers for system calls whose names clash with members (`close`) or need a retry loop.
enum System {
    /// `close(2)`, ignoring the result.
    static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #elseif canImport(Musl)
        _ = Musl.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Writes every byte to `fd`, retrying after `EINTR` and short writes.
    /// - Returns: `false` when a write failed.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// Sets `O_NONBLOCK` and `FD_CLOEXEC` on `fd`.
    static func makeNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return false }
        let fdFlags = fcntl(fd, F_GETFD)
        return fdFlags >= 0 && fcntl(fd, F_SETFD, fdFlags | FD_CLOEXEC) == 0
    }

    /// Sets `SO_RCVTIMEO` and `SO_SNDTIMEO` on a socket; sockets `accept`ed from a listening socket
    /// inherit them (Linux), so a peer that stalls mid-record frees its worker after `milliseconds`.
    /// - Returns: `false` when `setsockopt` failed (e.g. `fd` is not a socket).
    @discardableResult
    static func setIOTimeout(_ fd: Int32, milliseconds: Int) -> Bool {
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        let size = socklen_t(MemoryLayout<timeval>.size)
        return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size) == 0
            && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size) == 0
    }
}
