import Platform

/// The in-process ``TokenStore``, and the default: the tokens live in this process's memory, and the
/// callers waiting for a refresh are threads of this process, woken by a condition variable.
///
/// One instance serves any number of apps (keyed by ``TokenKey``); keep one per process so that
/// configuration reloads keep their tokens. Validity and lease lifetimes are measured on the injected
/// monotonic clock; the wait in ``acquireRefresh(for:leaseFor:until:)`` ends at its deadline on the real
/// monotonic clock, or earlier when a refresher stores, abandons or invalidates.
public final class InMemoryTokenStore: TokenStore {
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Locked(State())

    private struct State {
        var entries: [TokenKey: Entry] = [:]
        /// Callers waiting in `acquireRefresh`, by key (for tests that must know a caller waits).
        var waiting: [TokenKey: Int] = [:]
        var nextOwner: UInt64 = 1
    }

    private struct Entry {
        var token: String?
        var validUntil: ContinuousClock.Instant
        var lease: (owner: UInt64, until: ContinuousClock.Instant)?
    }

    /// Creates an empty store.
    /// - Parameter now: the monotonic clock that token validity and leases are measured on (tests
    ///   inject one they move by hand).
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// The token stored for `key` if it is still valid on the injected clock.
    /// - Parameter key: the app.
    /// - Returns: the token or `nil`. Never throws.
    public func validToken(for key: TokenKey) -> String? {
        let instant = now()
        return state.withLock { Self.usable($0.entries[key], at: instant) }
    }

    /// See ``TokenStore/acquireRefresh(for:leaseFor:until:)``. Never throws.
    /// - Parameters:
    ///   - key: the app.
    ///   - leaseFor: the lease's lifetime on the injected clock.
    ///   - deadline: the latest instant to wait until, on the real monotonic clock.
    /// - Returns: `.token` when a valid token is (or becomes) stored, `.refresh` when the caller is to
    ///   fetch, `.timedOut` when another caller still held the lease at the deadline.
    public func acquireRefresh(for key: TokenKey, leaseFor: Duration,
                               until deadline: ContinuousClock.Instant) -> RefreshTurn {
        let immediate: RefreshTurn? = state.withLockAndBroadcast { state in
            if let turn = decide(&state, key: key, leaseFor: leaseFor) { return turn }
            state.waiting[key, default: 0] += 1
            return nil
        }
        if let immediate { return immediate }
        let waiting: (State) -> Bool = { [self] in mustWait($0, key: key, at: now()) }
        return state.wait(until: deadline, while: waiting, then: { [self] state, timedOut in
            state.waiting[key, default: 1] -= 1
            if timedOut { return .timedOut }
            return decide(&state, key: key, leaseFor: leaseFor) ?? .timedOut
        })
    }

    /// Stores `token` for `lease.key`, valid for `validFor` from now on the injected clock, ends the
    /// lease if it is still the current one, and wakes the waiters. Never throws.
    public func store(_ token: String, validFor: Duration, lease: RefreshLease) {
        let validUntil = now() + max(validFor, .zero)
        state.withLockAndBroadcast { state in
            var entry = state.entries[lease.key] ?? Entry(token: nil, validUntil: validUntil, lease: nil)
            entry.token = token
            entry.validUntil = validUntil
            if entry.lease?.owner == lease.owner { entry.lease = nil }
            state.entries[lease.key] = entry
        }
    }

    /// Ends `lease` if it is still the current one and wakes the waiters.
    public func abandon(_ lease: RefreshLease) {
        state.withLockAndBroadcast { state in
            if state.entries[lease.key]?.lease?.owner == lease.owner { state.entries[lease.key]?.lease = nil }
        }
    }

    /// Forgets `token` if it is still the one stored for `key`. Never throws.
    public func invalidate(_ token: String, for key: TokenKey) {
        state.withLock { state in
            if state.entries[key]?.token == token { state.entries[key]?.token = nil }
        }
    }

    /// Waits until `count` callers wait in ``acquireRefresh(for:leaseFor:until:)`` for `key` (for tests
    /// that must not race the refresher against the waiters).
    /// - Returns: `false` when `deadline` passed first.
    func waitForWaiters(_ count: Int, for key: TokenKey, until deadline: ContinuousClock.Instant) -> Bool {
        state.wait(until: deadline, while: { $0.waiting[key, default: 0] < count }, then: { _, timedOut in !timedOut })
    }

    /// The turn when it can be decided now (a valid token, or no current lease: a new one is granted),
    /// `nil` when the caller has to wait for the lease holder.
    private func decide(_ state: inout State, key: TokenKey, leaseFor: Duration) -> RefreshTurn? {
        let instant = now()
        if let token = Self.usable(state.entries[key], at: instant) { return .token(token) }
        if mustWait(state, key: key, at: instant) { return nil }
        let owner = state.nextOwner
        state.nextOwner += 1
        var entry = state.entries[key] ?? Entry(token: nil, validUntil: instant, lease: nil)
        entry.lease = (owner, instant + leaseFor)
        state.entries[key] = entry
        return .refresh(RefreshLease(key: key, owner: owner))
    }

    /// Whether a caller has to wait: no valid token, and another caller's lease is still current.
    private func mustWait(_ state: State, key: TokenKey, at instant: ContinuousClock.Instant) -> Bool {
        guard Self.usable(state.entries[key], at: instant) == nil, let lease = state.entries[key]?.lease else {
            return false
        }
        return instant < lease.until
    }

    private static func usable(_ entry: Entry?, at instant: ContinuousClock.Instant) -> String? {
        guard let entry, let token = entry.token, instant < entry.validUntil else { return nil }
        return token
    }
}
