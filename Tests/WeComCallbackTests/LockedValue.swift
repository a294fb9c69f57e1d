import Platform

/// The tests' shared-state box is the project's one lock type (a pthread mutex, which ThreadSanitizer
/// sees), under the name the test doubles already use.
typealias LockedValue<Value> = Locked<Value>
