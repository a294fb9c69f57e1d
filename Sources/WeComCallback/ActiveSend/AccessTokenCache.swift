import Synchronization

/// The access token of one app (corp id + Secret), shared by every thread that sends for it.
///
/// ``token()`` returns the cached token until its refresh time, then fetches a new one; only one
/// thread fetches at a time, the others wait for its result. A token is refreshed 5 minutes before
/// `expires_in` runs out (at 90 % of the lifetime when that is under 50 minutes).
/// ``invalidate(_:)`` drops a token the API refused (errcode 40014, 42001, 42009).
public final class AccessTokenCache: Sendable {
    /// The corp id the token is for.
    public let corpID: String
    private let corpSecret: String
    private let client: WeComAPIClient
    private let now: @Sendable () -> ContinuousClock.Instant
    private let cached = Mutex<Cached?>(nil)
    /// Held while fetching, so that concurrent callers fetch once.
    private let fetchLock = Mutex<Void>(())
    private let fetches = Atomic<Int>(0)

    private struct Cached {
        var token: String
        var refreshAt: ContinuousClock.Instant
    }

    /// Creates an empty cache; nothing is fetched until ``token()``.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - corpSecret: the app's Secret (`corpsecret`); never logged.
    ///   - client: the API client.
    ///   - now: the monotonic clock (tests inject one).
    public init(corpID: String, corpSecret: String, client: WeComAPIClient,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.corpID = corpID
        self.corpSecret = corpSecret
        self.client = client
        self.now = now
    }

    /// How many times a token was fetched (`gettoken` calls, failed ones included).
    public var fetchCount: Int { fetches.load(ordering: .relaxed) }

    /// A valid token: the cached one, or a fresh one.
    /// - Returns: the access token.
    /// - Throws: ``WeComAPIError`` from `gettoken` (nothing is cached then).
    public func token() throws(WeComAPIError) -> String {
        if let token = current() { return token }
        return try fetchLock.withLock { _ throws(WeComAPIError) -> String in
            if let token = current() { return token }
            fetches.add(1, ordering: .relaxed)
            let fresh = try client.getToken(corpID: corpID, corpSecret: corpSecret)
            let refreshAt = now() + Self.refreshAfter(expiresIn: fresh.expiresIn)
            cached.withLock { $0 = Cached(token: fresh.value, refreshAt: refreshAt) }
            return fresh.value
        }
    }

    /// Forgets `token` if it is still the cached one (another thread may have refreshed already).
    /// - Parameter token: the token the API refused.
    public func invalidate(_ token: String) {
        cached.withLock { if $0?.token == token { $0 = nil } }
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

    private func current() -> String? {
        let instant = now()
        return cached.withLock { entry in
            guard let entry, instant < entry.refreshAt else { return nil }
            return entry.token
        }
    }
}
