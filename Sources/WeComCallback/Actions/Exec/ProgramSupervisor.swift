import Foundation
import Platform

/// The owner of every program the `exec` action starts: it runs each one on a thread of its own, lets at
/// most ``limit`` run at once (`[server] max_programs`), knows the process group of each, and at shutdown
/// waits for them until a deadline and then kills the groups still there.
///
/// One per process, shared by every app and kept across configuration reloads (it lives in
/// ``ServerRuntime``, like the ``DeliveryCache``); a reload only changes ``limit``.
///
/// A job is admitted by ``start(_:)`` and counted as running until its thread ends, so the limit bounds the
/// threads as well as the programs. The job gets a ``Slot``, through which ``ExecRunner`` records the
/// program's process group once it is spawned and gives it up in the same locked step that reaps the
/// program: ``shutdown(deadline:reapTimeout:)`` therefore only ever signals a group whose leader has not
/// been reaped yet, never a process-group id the kernel may have handed out again.
public final class ProgramSupervisor: Sendable {
    /// Admission and the process groups of the running programs.
    struct State {
        var limit: Int
        /// Jobs admitted whose thread has not ended (the program may not be spawned yet, or be done and
        /// its result be being delivered).
        var running = 0
        /// Process-group ids (= the programs' pids) of the programs spawned and not yet reaped.
        var groups: Set<pid_t> = []
        /// Shutdown has begun: admit nothing more.
        var closed = false
        /// The drain deadline has passed: a group recorded from now on is killed at once.
        var killing = false
    }

    private let state: Locked<State>

    /// The default ``limit``: 2 × the online cores, at least 8 (the default of `--threads` as well).
    public static let defaultLimit: Int = max(8, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Creates a supervisor with no program running.
    /// - Parameter limit: the most jobs running at once (at least 1).
    public init(limit: Int = ProgramSupervisor.defaultLimit) {
        state = Locked(State(limit: max(1, limit)))
    }

    /// The most jobs (programs with their threads) running at once; setting it (on reload) affects only
    /// admissions from then on: programs already running are never stopped for it.
    public var limit: Int {
        get { state.withLock { $0.limit } }
        set { state.withLock { $0.limit = max(1, newValue) } }
    }

    /// How many jobs are running now (admitted, thread not ended).
    public var running: Int { state.withLock { $0.running } }

    /// Whether ``shutdown(deadline:reapTimeout:)`` has begun (every job is refused from then on).
    public var isShuttingDown: Bool { state.withLock { $0.closed } }

    /// Runs `job` on a new thread, if fewer than ``limit`` jobs are running and shutdown has not begun.
    /// - Parameter job: the work; it gets the ``Slot`` to hand to ``ExecRunner/run(input:environment:slot:)``.
    /// - Returns: `true` when the job was admitted and its thread started; `false` when it was refused
    ///   (``limit`` jobs running, or shutting down): `job` is then never called.
    public func start(_ job: @escaping @Sendable (Slot) -> Void) -> Bool {
        let admitted = state.withLock { state in
            guard !state.closed, state.running < state.limit else { return false }
            state.running += 1
            return true
        }
        guard admitted else { return false }
        let slot = Slot(supervisor: self)
        // A thread of its own, not a GCD queue: on Linux the global queues run about one thread per core,
        // so a few programs blocking there would hold back every later program and all other GCD work in
        // the process.
        let thread = Thread { [self] in
            job(slot)
            state.withLockAndBroadcast { $0.running -= 1 }
        }
        thread.name = "exec"
        thread.start()
        return true
    }

    /// What ``shutdown(deadline:reapTimeout:)`` found.
    public struct ShutdownReport: Sendable, Equatable {
        /// Jobs running when shutdown began.
        public var runningAtStart: Int
        /// Process groups sent `SIGKILL` because their program outlived the deadline.
        public var killedGroups: Int
        /// Jobs whose thread had still not ended when shutdown returned (0 unless a job hangs outside
        /// its program, e.g. in a blocked write).
        public var unfinished: Int
    }

    /// Stops admitting jobs, waits for the running ones until `deadline`, then sends `SIGKILL` to the
    /// process group of every program still running (and of any spawned later by a job already admitted)
    /// and waits at most `reapTimeout` more for their threads to reap them and end.
    ///
    /// Called once, at exit; later calls only wait again.
    /// - Parameters:
    ///   - deadline: the drain deadline (monotonic).
    ///   - reapTimeout: the longest wait after the kill, for the threads to reap and finish.
    /// - Returns: what was running, what was killed and what is left.
    @discardableResult
    public func shutdown(deadline: ContinuousClock.Instant, reapTimeout: Duration = .seconds(2)) -> ShutdownReport {
        let runningAtStart = state.withLock { state in
            state.closed = true
            return state.running
        }
        let killed = state.wait(until: deadline, while: { $0.running > 0 }) { state, timedOut in
            guard timedOut else { return 0 }
            state.killing = true
            for group in state.groups { _ = kill(-group, SIGKILL) }
            return state.groups.count
        }
        let unfinished = state.wait(until: ContinuousClock.now + reapTimeout, while: { $0.running > 0 }) { state, _ in
            state.running
        }
        return ShutdownReport(runningAtStart: runningAtStart, killedGroups: killed, unfinished: unfinished)
    }

    /// One admitted job's link to its supervisor: where the runner records the process group of the
    /// program it spawned, and reaps it.
    public final class Slot: Sendable {
        private let supervisor: ProgramSupervisor

        fileprivate init(supervisor: ProgramSupervisor) {
            self.supervisor = supervisor
        }

        /// Whether the job should stop what it is waiting for outside its program: shutdown has begun.
        /// A media transfer polls it and ends (``MediaError/cancelled``), so that the job removes its
        /// private directories before the process exits.
        public var isCancelled: Bool { supervisor.isShuttingDown }

        /// Records a spawned program's process group (its pid: it leads a group of its own). Past the
        /// drain deadline the group is killed at once.
        /// - Parameter group: the program's pid.
        func spawned(group: pid_t) {
            supervisor.state.withLock { state in
                state.groups.insert(group)
                if state.killing { _ = kill(-group, SIGKILL) }
            }
        }

        /// Reaps the program if it has exited (`waitpid(pid, WNOHANG)`) and, in the same locked step,
        /// forgets its group.
        /// - Parameters:
        ///   - pid: the program's pid.
        ///   - status: its `waitpid` status, when reaped.
        /// - Returns: `true` when the program is reaped (or cannot be waited for: `ECHILD`).
        func reap(_ pid: pid_t, status: inout Int32) -> Bool {
            supervisor.state.withLock { state in
                guard ExecRunner.reapNow(pid, status: &status) else { return false }
                state.groups.remove(pid)
                return true
            }
        }
    }
}
