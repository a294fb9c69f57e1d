#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value read by every request and replaced rarely (a reload), behind a POSIX reader-writer lock.
///
/// Readers share the lock: with no writer, taking it is one atomic add and never waits. A `Mutex`
/// serialises readers instead, and its waiters spin: with 40 worker threads on 2 cores, taking the
/// running handler under a `Mutex` was a third of the responder's CPU.
final class ReadMostly<Value: Sendable>: @unchecked Sendable {
    // Invariant that makes this Sendable: `value` is only touched while `lock` is held — shared by
    // `read`, exclusive by `write`.
    private var value: Value
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    /// - Parameter value: the initial value.
    init(_ value: Value) {
        self.value = value
        lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        // Fails only for bad attributes or out of memory; the lock is then still usable as initialised.
        _ = pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    /// Runs `body` with the value under the shared lock (keep it short: a writer waits for it).
    func read<Result>(_ body: (Value) -> Result) -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body(value)
    }

    /// Runs `body` with the value under the exclusive lock.
    func write<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body(&value)
    }
}
