import Platform

/// Checks the start of a request's FastCGI record stream — its `FCGI_PARAMS` name-value pairs — before
/// libfcgi reads it.
///
/// libfcgi's `ReadParams` allocates `nameLength + valueLength + 2` bytes for each pair as the lengths
/// are declared (up to 2³¹ − 1 each, FastCGI 1.0 §3.4), in `int` arithmetic, and aborts the process
/// (`assert` in its `Malloc`) when that allocation fails: one record with two lengths near 2³¹ from
/// any peer that can reach the socket ended the server. The worker peeks (`MSG_PEEK`, nothing is
/// consumed) at the records up to the empty `FCGI_PARAMS` record that ends the parameters, and closes
/// the connection instead of handing it to libfcgi when a pair declares more than ``maxPairBytes`` or
/// the parameters do not end within ``windowBytes``. nginx sends the begin record and all parameters at
/// once (its header buffers keep them to a few KiB, 32 KiB with its largest defaults), so the first peek
/// normally sees them whole. A peek consumes nothing, so a peer that writes its parameters to a unix
/// socket in many tiny writes (each its own buffer) can fill the socket before they end; it is closed
/// once nothing more arrives for the io timeout.
struct ParamsGuard {
    /// The largest declared name plus value length of one pair, in bytes (1 MiB).
    static let maxPairBytes = 1 << 20
    /// How many bytes of records may precede the end of the parameters (64 KiB).
    static let windowBytes = 64 * 1024
    /// The first peek's size (4 KiB): nginx's parameters for a callback are about 1 KiB, so a worker
    /// keeps a 4 KiB buffer instead of 64 KiB zeroed (0.5 MiB of resident memory with 8 workers).
    static let firstPeekBytes = 4 * 1024

    /// What a scan of the peeked bytes found.
    enum Verdict: Equatable {
        /// The parameters ended (or the stream is not one the guard needs to judge: libfcgi refuses it).
        case pass
        /// The parameters have not ended yet within the bytes seen.
        case needMore
        /// A pair too large, or parameters longer than ``windowBytes``: the reason, for the log.
        case refuse(String)
    }

    /// Scans a record stream from its start.
    /// - Parameter bytes: the bytes peeked so far (records: 8-byte headers, content, padding).
    /// - Returns: the verdict.
    static func scan(_ bytes: ArraySlice<UInt8>) -> Verdict {
        var offset = bytes.startIndex
        var pairs = PairScanner()
        while offset + 8 <= bytes.endIndex {
            let type = bytes[offset + 1]
            let contentLength = Int(bytes[offset + 4]) << 8 | Int(bytes[offset + 5])
            let paddingLength = Int(bytes[offset + 6])
            let contentStart = offset + 8
            if bytes[offset] != 1 { return .pass }  // not FastCGI 1: libfcgi refuses it
            if type == 4 {  // FCGI_PARAMS
                if contentLength == 0 { return .pass }
                let available = bytes[contentStart..<min(bytes.endIndex, contentStart + contentLength)]
                if let reason = pairs.feed(available) { return .refuse(reason) }
                if available.count < contentLength { break }
            }
            offset = contentStart + contentLength + paddingLength
        }
        return bytes.count >= windowBytes ? .refuse("FastCGI parameters longer than \(windowBytes) bytes") : .needMore
    }

    /// Reads the name-value pairs of the concatenated `FCGI_PARAMS` contents, checking each pair's
    /// declared lengths (a pair and even its length prefix may span records).
    struct PairScanner {
        /// Length bytes of the pair being read (1 or 4 per length).
        private var lengthBytes: [UInt8] = []
        /// Bytes of name and value still to skip.
        private var skip = 0

        /// - Returns: why the pairs are refused, or `nil`.
        mutating func feed(_ content: ArraySlice<UInt8>) -> String? {
            var index = content.startIndex
            while index < content.endIndex {
                if skip > 0 {
                    let step = min(skip, content.endIndex - index)
                    skip -= step
                    index += step
                    continue
                }
                lengthBytes.append(content[index])
                index += 1
                guard let (name, value) = Self.lengths(lengthBytes) else { continue }
                lengthBytes.removeAll(keepingCapacity: true)
                guard name + value <= ParamsGuard.maxPairBytes else {
                    return "a FastCGI parameter declares \(name) + \(value) bytes (more than \(ParamsGuard.maxPairBytes))"
                }
                skip = name + value
            }
            return nil
        }

        /// The name and value lengths once `bytes` holds both (FastCGI 1.0 §3.4: one byte below 128,
        /// else four with the top bit set), else `nil`.
        private static func lengths(_ bytes: [UInt8]) -> (Int, Int)? {
            guard let (name, used) = length(bytes, at: 0), let (value, _) = length(bytes, at: used) else { return nil }
            return (name, value)
        }

        private static func length(_ bytes: [UInt8], at start: Int) -> (Int, Int)? {
            guard start < bytes.count else { return nil }
            if bytes[start] < 0x80 { return (Int(bytes[start]), start + 1) }
            guard start + 4 <= bytes.count else { return nil }
            let value = Int(bytes[start] & 0x7f) << 24 | Int(bytes[start + 1]) << 16 | Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
            return (value, start + 4)
        }
    }

    /// `POLLRDHUP` (Linux, 0x2000): Glibc's headers define it only under `_GNU_SOURCE`, so Swift does not see it.
    static let pollReadHangUp: Int16 = 0x2000

    /// Peeks at `fd` until the parameters end, the window is full, the peer closes, or no byte arrives
    /// for `timeoutMS` (an inactivity limit, like the per-read timeout libfcgi's reads have).
    /// - Parameters:
    ///   - fd: a connected stream socket with a request (or nothing) to read.
    ///   - timeoutMS: the longest wait for the next bytes of the parameters (0: no limit).
    ///   - buffer: where to peek (one per worker, reused): empty or any size at first; grown from
    ///     ``firstPeekBytes`` up to ``windowBytes`` only when parameters fill it.
    /// - Returns: `nil` to hand the connection to libfcgi (it also handles a closed or failed one), or
    ///   why to close it unread.
    static func check(_ fd: Int32, timeoutMS: Int, buffer: inout [UInt8]) -> String? {
        if buffer.count < firstPeekBytes { buffer = [UInt8](repeating: 0, count: firstPeekBytes) }
        var deadline = ContinuousClock.now + .milliseconds(timeoutMS)
        var seen = 0
        var pause: UInt32 = 500  // microseconds between peeks at a request begun, doubled up to 32 ms
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK | MSG_DONTWAIT)) }
            if n == 0 { return nil }
            if n < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR { return nil }
            switch scan(buffer[0..<max(0, n)]) {
            case .pass: return nil
            case .refuse(let reason): return reason
            case .needMore:
                if n == buffer.count, buffer.count < windowBytes {
                    // The parameters filled the buffer: peek again at once with room for more.
                    buffer = [UInt8](repeating: 0, count: min(buffer.count * 4, windowBytes))
                    continue
                }
                if n > seen {
                    seen = n
                    deadline = ContinuousClock.now + .milliseconds(timeoutMS)
                    pause = 500
                } else if timeoutMS > 0, ContinuousClock.now >= deadline {
                    return "no more of the FastCGI parameters for \(timeoutMS) ms"
                }
                if n < 0 {
                    // Nothing yet: wait for the first bytes without spinning.
                    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&entry, 1, timeoutMS > 0 ? Int32(clamping: timeoutMS) : -1)
                    continue
                }
                // More bytes of a request already begun (peeked data keeps poll ready, so it cannot
                // wait for them) — unless the peer has hung up: then the rest never comes.
                var entry = pollfd(fd: fd, events: pollReadHangUp, revents: 0)
                if poll(&entry, 1, 0) > 0, entry.revents & (pollReadHangUp | Int16(POLLHUP | POLLERR)) != 0 {
                    return "the peer closed the connection in the middle of the FastCGI parameters"
                }
                usleep(pause)
                pause = min(pause * 2, 32_000)
            }
        }
    }
}
