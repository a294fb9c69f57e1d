import Platform

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

    /// Sets the calling thread's signal mask to exactly the watched signals (stop and reload), then
    /// resets their dispositions to the default.
    ///
    /// Setting the whole mask undoes anything else inherited from the parent (a test runner's thread
    /// may block other signals, and `exec` keeps the mask). It is set in one call, so a watched signal
    /// that arrived earlier while the parent's mask blocked it stays pending for the watcher: were the
    /// mask cleared first and the watched signals blocked again after, such a signal would be delivered
    /// in between and lost, to an inherited `SIG_IGN` (a shell's background job) or to the SIGTERM
    /// handler that libfcgi's `FCGX_Init` installs when SIGTERM is at `SIG_DFL`. The dispositions are
    /// then reset to the default, which never runs while the signals are blocked and keeps what is
    /// pending. Idempotent. Also ignores SIGPIPE: a write to a closed connection then fails with
    /// `EPIPE` instead of killing the process.
    public static func blockInCallingThread() {
        var watched = watchedSet()
        pthread_sigmask(SIG_SETMASK, &watched, nil)
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
