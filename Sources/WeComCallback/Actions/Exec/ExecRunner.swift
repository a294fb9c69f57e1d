import CSpawn
import Platform

/// Runs one external program with a deadline and an output cap, and kills its whole process group
/// when anything goes wrong.
///
/// The program is started with `posix_spawn` in a new process group (`POSIX_SPAWN_SETPGROUP`), with
/// `SIGPIPE` reset to its default action and an empty signal mask, and with exactly file descriptors 0, 1
/// and 2 open: every other descriptor of the server (its listening socket, accepted FastCGI connections,
/// journals, whether close-on-exec or not) is closed in the child before `exec`
/// (`posix_spawn_file_actions_addclosefrom_np(3)`). Its stdin, stdout and stderr are
/// UNIX stream socket pairs created with `SOCK_CLOEXEC` (atomic close-on-exec without `pipe2`, which
/// Swift's Glibc does not export; and writing to a program that exits early gives `EPIPE`, never a
/// `SIGPIPE` in the server). One `poll(2)` loop on the calling thread feeds stdin and drains stdout and stderr
/// at the same time, so a program that writes megabytes before reading cannot deadlock. No lock is
/// held while waiting. On timeout, on too much output, or on a non-zero exit, `kill(-pgid, SIGKILL)`
/// ends the program and every descendant that stayed in its group; after a successful exit the same
/// kill ends what the program left behind in its group (a background child that let go of stdout and
/// stderr would otherwise outlive the run, and the server: the supervisor no longer knows the group).
/// A descendant that leaves the group (`setsid`, `setpgid`) is beyond reach.
///
/// Run with a ``ProgramSupervisor/Slot``, the program's process group is recorded there from its spawn until
/// it is reaped, so that the supervisor can kill it at shutdown.
struct ExecRunner: Sendable {
    /// How the program ended.
    enum Termination: Sendable, Equatable {
        /// `exit(status)`.
        case exited(Int32)
        /// Killed by a signal.
        case signaled(Int32)
    }

    /// Why a run failed.
    enum Failure: Sendable, Equatable, CustomStringConvertible {
        /// The program could not be started (`errno`).
        case spawnFailed(Int32)
        /// The deadline passed (milliseconds).
        case timedOut(Int)
        /// More than this many bytes on stdout.
        case outputTooLarge(Int)
        /// The program ended with this non-zero status or signal.
        case abnormalExit(Termination)
        /// A socket pair could not be created or polled (`errno`).
        case io(Int32)

        var description: String {
            switch self {
            case .spawnFailed(let e): return "could not start the program: \(POSIX.errorText(e))"
            case .timedOut(let ms): return "timed out after \(ms) ms, process group killed"
            case .outputTooLarge(let n): return "wrote more than \(n) bytes, process group killed"
            case .abnormalExit(.exited(let s)): return "exited with status \(s)"
            case .abnormalExit(.signaled(let s)): return "killed by signal \(s)"
            case .io(let e): return "I/O error: \(POSIX.errorText(e))"
            }
        }
    }

    /// The result of one run.
    struct Outcome: Sendable, Equatable {
        /// Everything the program wrote to stdout (at most the cap).
        var stdout: [UInt8]
        /// The first line of stderr (at most 512 bytes), for a debug log line.
        var stderrFirstLine: String
        /// `nil` when the program exited with status 0 in time.
        var failure: Failure?
    }

    /// Absolute path of the program to execute (resolved at load time).
    var executable: String
    /// `argv`, `argv[0]` as written in the configuration.
    var arguments: [String]
    /// The deadline in milliseconds.
    var timeoutMS: Int
    /// The stdout cap in bytes.
    var maxOutputBytes: Int

    /// Runs the program once.
    /// - Parameters:
    ///   - input: bytes for its stdin (closed afterwards).
    ///   - environment: its complete environment.
    ///   - slot: where the program's process group is recorded while it runs, if supervised.
    ///   - onStdout: called on this thread with each chunk read from stdout as it arrives (within the
    ///     cap), for output that is shown while the program runs (an AI bot's stream); `nil` by default.
    /// - Returns: what it wrote and how it ended.
    func run(input: [UInt8], environment: [String: String], slot: ProgramSupervisor.Slot? = nil,
             onStdout: ((ArraySlice<UInt8>) -> Void)? = nil) -> Outcome {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(timeoutMS)

        var inPair: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, streamType, 0, &inPair) == 0 else { return Outcome(stdout: [], stderrFirstLine: "", failure: .io(errno)) }
        guard socketpair(AF_UNIX, streamType, 0, &outPipe) == 0 else {
            let e = errno
            closeAll(inPair)
            return Outcome(stdout: [], stderrFirstLine: "", failure: .io(e))
        }
        guard socketpair(AF_UNIX, streamType, 0, &errPipe) == 0 else {
            let e = errno
            closeAll(inPair + outPipe)
            return Outcome(stdout: [], stderrFirstLine: "", failure: .io(e))
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Then close every other descriptor: the program must not hold the server's sockets.
        let closeFrom = posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        guard closeFrom == 0 else {
            closeAll(inPair + outPipe + errPipe)
            return Outcome(stdout: [], stderrFirstLine: "", failure: .spawnFailed(closeFrom))
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let spawnResult = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        closeAll([inPair[1], outPipe[1], errPipe[1]])
        guard spawnResult == 0 else {
            closeAll([inPair[0], outPipe[0], errPipe[0]])
            return Outcome(stdout: [], stderrFirstLine: "", failure: .spawnFailed(spawnResult))
        }
        slot?.spawned(group: pid)

        var stdinFD: Int32 = inPair[0], stdoutFD: Int32 = outPipe[0], stderrFD: Int32 = errPipe[0]
        for fd in [stdinFD, stdoutFD, stderrFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var written = 0
        var stdout: [UInt8] = []
        var stderrLine: [UInt8] = []
        var stderrLineDone = false
        var failure: Failure?
        var buffer = [UInt8](repeating: 0, count: 65536)
        if input.isEmpty { POSIX.close(stdinFD); stdinFD = -1 }

        // Feed stdin and drain stdout/stderr until both outputs are at end of file.
        loop: while stdoutFD >= 0 || stderrFD >= 0 {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { failure = .timedOut(timeoutMS); break }
            var fds: [pollfd] = []
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            let ms = Int32(clamping: remaining.inMilliseconds + 1)  // rounded up: never a busy 0
            let ready = poll(&fds, nfds_t(fds.count), ms)
            if ready < 0 {
                if errno == EINTR { continue }
                failure = .io(errno)
                break
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinFD {
                    let n = input.withUnsafeBytes { raw in
                        send(stdinFD, raw.baseAddress.map { $0 + written }, input.count - written, Int32(MSG_NOSIGNAL))
                    }
                    if n > 0 { written += n }
                    if (n < 0 && errno != EAGAIN && errno != EINTR) || written >= input.count {
                        POSIX.close(stdinFD)
                        stdinFD = -1
                    }
                } else if entry.fd == stdoutFD {
                    let n = read(stdoutFD, &buffer, buffer.count)
                    if n > 0 {
                        stdout.append(contentsOf: buffer[0..<n])
                        if let onStdout {
                            let kept = n - max(0, stdout.count - maxOutputBytes)
                            if kept > 0 { onStdout(buffer[0..<kept]) }
                        }
                        if stdout.count > maxOutputBytes {
                            stdout.removeLast(stdout.count - maxOutputBytes)
                            failure = .outputTooLarge(maxOutputBytes)
                            break loop
                        }
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        POSIX.close(stdoutFD)
                        stdoutFD = -1
                    }
                } else if entry.fd == stderrFD {
                    let n = read(stderrFD, &buffer, buffer.count)
                    if n > 0 {
                        if !stderrLineDone {
                            for byte in buffer[0..<n] {
                                if byte == UInt8(ascii: "\n") || stderrLine.count >= 512 { stderrLineDone = true; break }
                                stderrLine.append(byte)
                            }
                        }
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        POSIX.close(stderrFD)
                        stderrFD = -1
                    }
                }
            }
        }
        closeAll([stdinFD, stdoutFD, stderrFD].filter { $0 >= 0 })

        // Outputs closed: wait for the exit within what is left of the deadline.
        var status: Int32 = 0
        var reaped = false
        func reap() -> Bool { slot.map { $0.reap(pid, status: &status) } ?? Self.reapNow(pid, status: &status) }
        if failure == nil {
            while true {
                if reap() { reaped = true; break }
                if ContinuousClock.now >= deadline { failure = .timedOut(timeoutMS); break }
                usleep(2000)
            }
        }
        if reaped, failure == nil {
            let termination = Self.termination(status)
            if termination != .exited(0) { failure = .abnormalExit(termination) }
            _ = kill(-pid, SIGKILL)  // descendants still in the group: none outlives its program
        }
        if !reaped {
            _ = kill(-pid, SIGKILL)
            while !reap() { usleep(1000) }
        }
        return Outcome(stdout: stdout, stderrFirstLine: String(decoding: stderrLine, as: UTF8.self), failure: failure)
    }

    /// `waitpid(pid, WNOHANG)`, retried after `EINTR`.
    /// - Returns: `true` when `pid` was reaped (its status in `status`) or cannot be waited for (`ECHILD`).
    static func reapNow(_ pid: pid_t, status: inout Int32) -> Bool {
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return true }
            if r == 0 { return false }
            if errno != EINTR { return true }
        }
    }

    private func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { POSIX.close(fd) }
    }

    /// Decodes a `waitpid` status.
    static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    /// Finds an executable: a name containing `/` is taken as is; otherwise each directory of `path`
    /// (colon-separated) is tried in order.
    /// - Parameters:
    ///   - name: `command[0]`.
    ///   - path: the `PATH` value to search.
    /// - Returns: the path of an executable regular file, or `nil`.
    static func resolve(_ name: String, path: String) -> String? {
        if name.contains("/") { return isExecutableFile(name) ? name : nil }
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
