/// Where access tokens live: one per app, shared by every thread (and, with a shared implementation,
/// every host) that sends for the app, refreshed by one caller at a time.
///
/// The operations are the ones a shared store (Redis) can carry out atomically, so that the refresh
/// protocol of ``AccessTokenCache`` works the same on any implementation:
/// 1. ``validToken(for:)`` — a token that may still be used, or `nil`;
/// 2. ``acquireRefresh(for:leaseFor:until:)`` — the right to fetch a new token (a ``RefreshLease``),
///    or, when another caller holds that right, a wait for its result, at most until a deadline;
/// 3. ``store(_:validFor:lease:)`` after a successful `gettoken`, or ``abandon(_:)`` after a failed
///    one — both end the lease and wake the waiters;
/// 4. ``invalidate(_:for:)`` when the API refuses a token (errcode 40014, 42001, 42009), so that the
///    next caller refreshes.
///
/// The refresh policy (how long before `expires_in` runs out a token is replaced) is the caller's: it
/// passes the usable lifetime to ``store(_:validFor:lease:)``. ``InMemoryTokenStore`` is the
/// in-process implementation and the default.
public protocol TokenStore: Sendable {
    /// The app's token if one is stored and still usable now.
    /// - Parameter key: the app.
    /// - Returns: the access token, or `nil` when there is none or it is past its validity.
    /// - Throws: ``TokenStoreError`` when the store cannot be read.
    func validToken(for key: TokenKey) throws(TokenStoreError) -> String?

    /// Either the right to refresh the app's token, or the token another caller stored meanwhile.
    ///
    /// Returns at once with ``RefreshTurn/token(_:)`` when a usable token is stored, or with
    /// ``RefreshTurn/refresh(_:)`` when nobody holds a (current) lease. Otherwise waits until the
    /// holder stores a token (→ `.token`), gives up (→ `.refresh` for one of the waiters) or its lease
    /// runs out (→ `.refresh`), or until `deadline` (→ ``RefreshTurn/timedOut``).
    /// - Parameters:
    ///   - key: the app.
    ///   - leaseFor: how long the caller may take to fetch before the right passes to another caller
    ///     (a crashed or hung refresher does not block the others for longer).
    ///   - deadline: the latest monotonic instant to wait until.
    /// - Returns: what the caller does next.
    /// - Throws: ``TokenStoreError`` when the store cannot be reached.
    func acquireRefresh(for key: TokenKey, leaseFor: Duration, until deadline: ContinuousClock.Instant)
        throws(TokenStoreError) -> RefreshTurn

    /// Stores a freshly fetched token, ends `lease` and wakes the callers waiting for it.
    /// - Parameters:
    ///   - token: the `access_token`.
    ///   - validFor: how long from now the token may be handed out (the caller's refresh margin
    ///     already taken off `expires_in`, which is in seconds); zero stores nothing usable.
    ///   - lease: the lease from ``acquireRefresh(for:leaseFor:until:)``. A lease that already ran out
    ///     still stores the token (it is newer than anything stored); only the current holder's lease
    ///     is ended.
    /// - Throws: ``TokenStoreError`` when the store cannot be written.
    func store(_ token: String, validFor: Duration, lease: RefreshLease) throws(TokenStoreError)

    /// Ends `lease` without a token (the fetch failed) and wakes the waiters: one of them refreshes.
    /// - Parameter lease: the lease from ``acquireRefresh(for:leaseFor:until:)``.
    func abandon(_ lease: RefreshLease)

    /// Forgets `token` if it is still the app's stored token (a refresher may already have replaced it).
    /// - Parameters:
    ///   - token: the token the API refused.
    ///   - key: the app.
    /// - Throws: ``TokenStoreError`` when the store cannot be written.
    func invalidate(_ token: String, for key: TokenKey) throws(TokenStoreError)
}

/// Which app a token is for: the corp id and the app within the corp.
///
/// A WeCom access token belongs to one corp id and one app Secret. The key names the app by a
/// fingerprint of its Secret (``init(corpID:corpSecret:)``), never the Secret itself, so that it can
/// be a shared store's key: hosts configured with the same app share its token, and a changed Secret
/// is a new key.
public struct TokenKey: Hashable, Sendable, CustomStringConvertible {
    /// `corpid`.
    public var corpID: String
    /// The app within the corp: 16 lowercase hex digits (the first 8 bytes of SHA-256 of the Secret).
    public var app: String

    /// A key from its parts.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - app: the app's identity within the corp (no secret).
    public init(corpID: String, app: String) {
        self.corpID = corpID
        self.app = app
    }

    /// The key of the app whose Secret is `corpSecret`.
    /// - Parameters:
    ///   - corpID: `corpid`.
    ///   - corpSecret: the app's Secret; only its SHA-256 fingerprint is kept.
    public init(corpID: String, corpSecret: String) {
        let digest = LibCrypto.sha256(Array(corpSecret.utf8)) ?? []
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest.prefix(8) { text += [hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]] }
        self.init(corpID: corpID, app: String(decoding: text, as: UTF8.self))
    }

    /// `<corpid>/<app>`, e.g. `wwcorp0123/5e884898da280471` (safe to log).
    public var description: String { "\(corpID)/\(app)" }
}

/// The right to refresh one app's token, from ``TokenStore/acquireRefresh(for:leaseFor:until:)``.
/// Give it back with ``TokenStore/store(_:validFor:lease:)`` or ``TokenStore/abandon(_:)``.
public struct RefreshLease: Hashable, Sendable {
    /// The app.
    public var key: TokenKey
    /// Who holds the lease: unique per acquisition within a store (a shared store keeps it with the
    /// lease, so that only the holder ends it).
    public var owner: UInt64

    /// A lease from its parts (for store implementations).
    /// - Parameters:
    ///   - key: the app.
    ///   - owner: the holder's identity.
    public init(key: TokenKey, owner: UInt64) {
        self.key = key
        self.owner = owner
    }
}

/// What ``TokenStore/acquireRefresh(for:leaseFor:until:)`` tells its caller to do.
public enum RefreshTurn: Hashable, Sendable {
    /// Fetch a token, then ``TokenStore/store(_:validFor:lease:)`` or ``TokenStore/abandon(_:)``.
    case refresh(RefreshLease)
    /// Use this token: another caller stored it.
    case token(String)
    /// The deadline passed while another caller held the lease.
    case timedOut
}

/// A token store that could not be read or written (a shared store's connection or protocol failed).
/// The in-process store never throws it.
public struct TokenStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The operation, e.g. `"validToken"` or `"store"`.
    public var operation: String
    /// What went wrong, in a few words (never a token or a secret).
    public var reason: String

    /// - Parameters:
    ///   - operation: the store operation that failed.
    ///   - reason: what went wrong.
    public init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    /// `token store <operation> failed: <reason>`.
    public var description: String { "token store \(operation) failed: \(reason)" }
}
