/// A value and the lock that guards it, as one thing (the shape of swift-nio's `NIOLockedValueBox`).
///
/// The project's only lock type. It is a POSIX mutex (which ThreadSanitizer understands, unlike
/// `Synchronization.Mutex`) with a condition variable on `CLOCK_MONOTONIC`, so that a thread can wait
/// for the value to change until a ``ContinuousClock`` deadline. Reference type: every holder shares
/// the one value.
public final class Locked<Value>: @unchecked Sendable {
    // Invariant that makes this Sendable: `value` is only read or written while `mutex` is held.
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// - Parameter value: the initial value.
    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    /// - Returns: what `body` returns.
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Changes the value and wakes every thread waiting in ``wait(until:while:)``.
    /// - Returns: what `body` returns.
    public func withLockAndBroadcast<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return body(&value)
    }

    /// Waits while `condition` holds, at most until `deadline`, then runs `body` under the lock.
    ///
    /// Wakes on ``withLockAndBroadcast(_:)``; spurious wake-ups are handled.
    /// - Parameters:
    ///   - deadline: a monotonic instant; `nil` waits without limit.
    ///   - waiting: while this is true of the value, keep waiting.
    ///   - body: runs under the lock once waiting is over (the condition no longer holds, or the deadline
    ///     passed); it gets the value and whether the deadline passed with the condition still true.
    /// - Returns: what `body` returns.
    public func wait<Result>(until deadline: ContinuousClock.Instant?, while waiting: (Value) -> Bool,
                             then body: (inout Value, _ timedOut: Bool) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while waiting(value) {
            guard let deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return body(&value, true) }
            var until = timespec()
            clock_gettime(CLOCK_MONOTONIC, &until)
            let (seconds, attoseconds) = remaining.components
            var nanoseconds = Int(until.tv_nsec) + Int(attoseconds / 1_000_000_000)
            until.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
            nanoseconds %= 1_000_000_000
            until.tv_nsec = nanoseconds
            pthread_cond_timedwait(condition, mutex, &until)
        }
        return body(&value, false)
    }
}

extension Locked where Value: Sendable {
    /// A copy of the value.
    public var snapshot: Value { withLock { $0 } }
}
