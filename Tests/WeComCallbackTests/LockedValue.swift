import Foundation

/// A value behind an `NSLock`, for test doubles and collectors shared between threads.
///
/// Tests use this rather than `Synchronization.Mutex`: ThreadSanitizer (`make sanitize`) sees the
/// pthread mutex under `NSLock`, but not the futex word inside `Mutex`, so it reported accesses made
/// under a `Mutex` in these tests as races.
final class LockedValue<Value>: @unchecked Sendable {
    // Invariant that makes this Sendable: `value` is only touched while `lock` is held.
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
