import Platform

/// The access token of one app (corp id + Secret), kept in a ``TokenStore`` and shared by every
/// thread (and, with a shared store, every host) that sends for it.
///
/// ``token()`` returns the stored token while it is valid, then fetches a new one; only one caller
/// fetches at a time (it holds the store's ``RefreshLease``), the others wait for its result and read
/// it. A token is used until 5 minutes before `expires_in` runs out (90 % of the lifetime when that
/// is under 50 minutes). ``invalidate(_:)`` drops a token the API refused (errcode 40014, 42001,
/// 42009), so that the next ``token()`` refreshes.
public final class AccessTokenCache: Sendable {
    /// The corp id the token is for.
    public let corpID: String
    /// The store's key for this app (corp id and a fingerprint of the Secret).
    public let key: TokenKey
    /// Where the token lives.
    public let store: any TokenStore
    private let corpSecret: String
    private let client: WeComAPIClient
    /// How long a fetch may hold the refresh lease, and how long a caller waits for another's fetch:
    /// the client's own bound on one request (its timeout + 2 s) plus a margin.
    private let refreshWait: Duration
    private let fetches = Locked(0)

    /// Creates the cache over `store`; nothing is fetched until ``token()``.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - corpSecret: the app's Secret (`corpsecret`); never logged, never stored (only its
    ///     fingerprint is part of the ``key``).
    ///   - client: the API client.
    ///   - store: where the token is kept (``InMemoryTokenStore`` for one process).
    public init(corpID: String, corpSecret: String, client: WeComAPIClient, store: any TokenStore) {
        self.corpID = corpID
        self.corpSecret = corpSecret
        self.client = client
        self.store = store
        key = TokenKey(corpID: corpID, corpSecret: corpSecret)
        refreshWait = client.timeout + .seconds(5)
    }

    /// Creates the cache over its own ``InMemoryTokenStore``.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - corpSecret: the app's Secret (`corpsecret`); never logged.
    ///   - client: the API client.
    ///   - now: the monotonic clock token validity is measured on (tests inject one).
    public convenience init(corpID: String, corpSecret: String, client: WeComAPIClient,
                            now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.init(corpID: corpID, corpSecret: corpSecret, client: client, store: InMemoryTokenStore(now: now))
    }

    /// How many times this cache fetched a token (`gettoken` calls, failed ones included).
    public var fetchCount: Int { fetches.withLock { $0 } }

    /// A valid token: the stored one, the one another caller just fetched, or a fresh one.
    /// - Parameter deadline: the latest monotonic instant to wait until (an exec route's `timeout_ms`),
    ///   for another caller's refresh (in this process or, with a shared store, on another host) and for
    ///   this caller's own `gettoken`; `nil` (active send) waits as long as a refresh may take.
    /// - Returns: the access token.
    /// - Throws: ``WeComAPIError`` from `gettoken` (nothing is stored then; a waiting caller fetches
    ///   next), or ``WeComAPIError/tokenUnavailable(_:)`` when the store fails, another caller's fetch
    ///   did not end within the wait, or `deadline` passed first (``deadlineReason``).
    public func token(until deadline: ContinuousClock.Instant? = nil) throws(WeComAPIError) -> String {
        if let token = try storeCall({ () throws(TokenStoreError) in try store.validToken(for: key) }) { return token }
        let ownWait = ContinuousClock.now + refreshWait
        let waitUntil = deadline.map { min($0, ownWait) } ?? ownWait
        let turn = try storeCall { () throws(TokenStoreError) in
            try store.acquireRefresh(for: key, leaseFor: refreshWait, until: waitUntil)
        }
        switch turn {
        case .token(let token): return token
        case .refresh(let lease): return try refresh(holding: lease, deadline: deadline)
        case .timedOut:
            // The caller's deadline was the bound of the wait (a polling store gives up a poll before it).
            if let deadline, deadline <= ownWait { throw .tokenUnavailable(Self.deadlineReason) }
            throw .tokenUnavailable("another refresh did not finish within \(refreshWait)")
        }
    }

    /// The reason of ``WeComAPIError/tokenUnavailable(_:)`` when a caller's deadline passed first.
    public static let deadlineReason = "not had within the route's timeout_ms"

    /// Fetches a token and stores it, or gives the lease up when `gettoken` fails.
    private func refresh(holding lease: RefreshLease, deadline: ContinuousClock.Instant?) throws(WeComAPIError) -> String {
        fetches.withLock { $0 += 1 }
        let fresh: WeComAPIClient.AccessToken
        do {
            fresh = try client.getToken(corpID: corpID, corpSecret: corpSecret, deadline: deadline)
        } catch {
            store.abandon(lease)
            if let deadline, ContinuousClock.now >= deadline { throw .tokenUnavailable(Self.deadlineReason) }
            throw error
        }
        try storeCall { () throws(TokenStoreError) in
            try store.store(fresh.value, validFor: Self.refreshAfter(expiresIn: fresh.expiresIn), lease: lease)
        }
        return fresh.value
    }

    /// Runs a store operation; its failure becomes ``WeComAPIError/tokenUnavailable(_:)``.
    private func storeCall<Result>(_ body: () throws(TokenStoreError) -> Result) throws(WeComAPIError) -> Result {
        do {
            return try body()
        } catch {
            throw .tokenUnavailable(error.description)
        }
    }

    /// Forgets `token` if it is still the stored one (another caller may have refreshed already).
    /// - Parameter token: the token the API refused.
    /// - Throws: ``WeComAPIError/tokenUnavailable(_:)`` when the store cannot be written.
    public func invalidate(_ token: String) throws(WeComAPIError) {
        try storeCall { () throws(TokenStoreError) in try store.invalidate(token, for: key) }
    }

    /// How long a token with the given lifetime is used: 5 minutes less, or 90 % of it when the
    /// lifetime is under 50 minutes.
    /// - Parameter expiresIn: `expires_in` in seconds.
    /// - Returns: the time until refresh (zero for a non-positive lifetime).
    public static func refreshAfter(expiresIn: Int) -> Duration {
        guard expiresIn > 0 else { return .zero }
        if expiresIn >= 3000 { return .seconds(expiresIn - 300) }
        return .milliseconds(expiresIn * 900)
    }
}
