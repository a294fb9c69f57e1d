#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM and SIGINT (stop) and SIGHUP (reload), received by one dedicated thread with `sigwait(3)`
/// instead of a signal handler.
///
/// Call `blockInCallingThread()` on the main thread before any other thread exists: every thread
/// created afterwards inherits the mask, so the signals stay pending until the watcher takes them, and
/// no Swift code runs in signal context.
public enum TerminationSignals {
    /// The signals that ask for a graceful stop.
    public static var stopSignals: [Int32] { [SIGTERM, SIGINT] }
    /// The signal that asks for a configuration reload and reopened log files.
    public static var reloadSignal: Int32 { SIGHUP }
    /// Every signal the watcher takes.
    static var watchedSignals: [Int32] { stopSignals + [reloadSignal] }

    /// Clears the calling thread's signal mask, then blocks `stopSignals`.
    ///
    /// Clearing first undoes a mask inherited from the parent (a test runner's thread may block
    /// SIGTERM, and `exec` keeps the mask); an inherited `SIG_IGN` for the stop signals (a shell's
    /// background job) is reset to the default, which never runs while they are blocked. Also ignores
    /// SIGPIPE: a write to a closed connection then fails with `EPIPE` instead of killing the process.
    public static func blockInCallingThread() {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        var watched = watchedSet()
        pthread_sigmask(SIG_BLOCK, &watched, nil)
        for watchedSignal in watchedSignals { signal(watchedSignal, SIG_DFL) }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Starts the watcher thread. It waits for `stopSignals` and `reloadSignal` forever and calls `handler`
    /// for each one from that thread (a normal thread: the handler may lock, log and allocate).
    /// - Parameter handler: called with the signal number, once per delivered signal.
    /// - Throws: `FastCGIError.systemCallFailed` when the thread cannot be created.
    public static func startWatcher(_ handler: @escaping @Sendable (Int32) -> Void) throws(FastCGIError) {
        _ = try PosixThread {
            var set = watchedSet()
            while true {
                var received: Int32 = 0
                if sigwait(&set, &received) == 0 { handler(received) }
            }
        }
    }

    /// The name of a signal for logs, e.g. `SIGTERM`.
    /// - Parameter signal: the signal number.
    /// - Returns: its conventional name, or `signal N`.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(signal)"
        }
    }

    private static func watchedSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in watchedSignals { sigaddset(&set, signal) }
        return set
    }
}
