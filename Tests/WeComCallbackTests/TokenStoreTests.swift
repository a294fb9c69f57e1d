import Foundation
import Platform
import Testing
@testable import WeComCallback

/// InMemoryTokenStore driven directly: a hand-moved clock for validity and leases, threads that are
/// known to be waiting (``InMemoryTokenStore/waitForWaiters(_:for:until:)``) before the refresher
/// finishes — no sleeps.
@Suite struct TokenStoreTests {
    static let key = TokenKey(corpID: AS.corpID, app: "app-a")
    static let other = TokenKey(corpID: AS.corpID, app: "app-b")
    static let lease = Duration.seconds(30)

    /// Runs `count` threads that each call `acquireRefresh` (deadline 10 s) and records their turns.
    final class Callers: Sendable {
        let turns = Locked<[RefreshTurn]>([])

        init(_ count: Int, store: InMemoryTokenStore, key: TokenKey = TokenStoreTests.key) {
            for _ in 0..<count {
                Thread { [turns] in
                    let turn = store.acquireRefresh(for: key, leaseFor: TokenStoreTests.lease, until: .now + .seconds(10))
                    turns.withLockAndBroadcast { $0.append(turn) }
                }.start()
            }
        }

        /// The turns once `count` callers have one (at most 10 s).
        func first(_ count: Int) -> [RefreshTurn] {
            turns.wait(until: .now + .seconds(10), while: { $0.count < count }, then: { turns, _ in turns })
        }
    }

    static func leaseOf(_ turn: RefreshTurn) -> RefreshLease? {
        if case .refresh(let lease) = turn { return lease }
        return nil
    }

    @Test func oneRefreshAtATimeConcurrentCallersReadTheNewToken() throws {
        let clock = ManualClock()
        let store = InMemoryTokenStore(now: clock.now)
        let turn = store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)
        let lease = try #require(Self.leaseOf(turn))
        let callers = Callers(4, store: store)
        #expect(store.waitForWaiters(4, for: Self.key, until: .now + .seconds(10)))
        #expect(callers.turns.withLock { $0 }.isEmpty)
        store.store("T1", validFor: .seconds(100), lease: lease)
        #expect(callers.first(4) == Array(repeating: .token("T1"), count: 4))
        #expect(store.validToken(for: Self.key) == "T1")
    }

    /// A media route's token wait ends at its deadline while another caller holds the refresh lease
    /// (issue 14, F2): the error says so; without a deadline (active send) it waits for the refresh.
    @Test func aTokenWaitEndsAtTheCallersDeadline() throws {
        let store = InMemoryTokenStore(now: ManualClock().now)
        let cache = AccessTokenCache(corpID: AS.corpID, corpSecret: "s", client: WeComAPIClient(apiBase: "http://127.0.0.1:9"), store: store)
        let held = try #require(Self.leaseOf(store.acquireRefresh(for: cache.key, leaseFor: Self.lease, until: .now)))
        #expect(throws: WeComAPIError.tokenUnavailable(AccessTokenCache.deadlineReason)) {
            try cache.token(until: .now + .milliseconds(50))
        }
        #expect(throws: WeComAPIError.tokenUnavailable(AccessTokenCache.deadlineReason)) { try cache.token(until: .now) }
        #expect(cache.fetchCount == 0)
        let waiter = Locked<String?>(nil)
        Thread { [waiter] in
            let token = try? cache.token()
            waiter.withLockAndBroadcast { $0 = token }
        }.start()
        #expect(store.waitForWaiters(1, for: cache.key, until: .now + .seconds(10)))
        store.store("T1", validFor: .seconds(100), lease: held)
        #expect(waiter.wait(until: .now + .seconds(10), while: { $0 == nil }, then: { token, _ in token }) == "T1")
    }

    @Test func abandonedRefreshPassesToExactlyOneWaiter() throws {
        let store = InMemoryTokenStore(now: ManualClock().now)
        let first = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)))
        let callers = Callers(3, store: store)
        #expect(store.waitForWaiters(3, for: Self.key, until: .now + .seconds(10)))
        store.abandon(first)  // gettoken failed
        let next = callers.first(1)
        let second = try #require(next.first.flatMap(Self.leaseOf))
        #expect(second.owner != first.owner)
        #expect(store.waitForWaiters(2, for: Self.key, until: .now + .seconds(10)))
        store.store("T2", validFor: .seconds(100), lease: second)
        #expect(Array(callers.first(3).dropFirst()) == [.token("T2"), .token("T2")])
    }

    @Test func waitingEndsAtTheDeadlineWhileTheLeaseIsHeld() throws {
        let store = InMemoryTokenStore(now: ManualClock().now)
        _ = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)))
        #expect(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now) == .timedOut)
    }

    @Test func aLeaseThatRunsOutPassesTheRightOn() throws {
        let clock = ManualClock()
        let store = InMemoryTokenStore(now: clock.now)
        let stale = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: .seconds(10), until: .now)))
        clock.advance(.seconds(10))
        let fresh = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: .seconds(10), until: .now)))
        #expect(fresh.owner != stale.owner)
        store.store("LATE", validFor: .seconds(100), lease: stale)  // still stored: it is a valid token
        #expect(store.acquireRefresh(for: Self.key, leaseFor: .seconds(10), until: .now) == .token("LATE"))
        store.abandon(stale)  // not the current lease: nothing happens
        store.store("T3", validFor: .seconds(100), lease: fresh)
        #expect(store.validToken(for: Self.key) == "T3")
    }

    @Test func tokenExpiresAfterItsValidity() throws {
        let clock = ManualClock()
        let store = InMemoryTokenStore(now: clock.now)
        #expect(store.validToken(for: Self.key) == nil)
        let lease = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)))
        store.store("T1", validFor: AccessTokenCache.refreshAfter(expiresIn: 7200), lease: lease)
        clock.advance(.seconds(6899))
        #expect(store.validToken(for: Self.key) == "T1")
        #expect(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now) == .token("T1"))
        clock.advance(.seconds(1))
        #expect(store.validToken(for: Self.key) == nil)
        #expect(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)) != nil)
    }

    @Test func zeroValidityStoresNothingUsable() throws {
        let store = InMemoryTokenStore(now: ManualClock().now)
        let lease = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)))
        store.store("T0", validFor: .zero, lease: lease)
        #expect(store.validToken(for: Self.key) == nil)
        #expect(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)) != nil)
    }

    @Test func invalidationDropsOnlyTheRefusedToken() throws {
        let store = InMemoryTokenStore(now: ManualClock().now)
        let lease = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)))
        store.store("T1", validFor: .seconds(100), lease: lease)
        store.invalidate("T0", for: Self.key)  // already replaced by another refresher
        #expect(store.validToken(for: Self.key) == "T1")
        store.invalidate("T1", for: Self.other)
        #expect(store.validToken(for: Self.key) == "T1")
        store.invalidate("T1", for: Self.key)
        #expect(store.validToken(for: Self.key) == nil)
        #expect(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)) != nil)
    }

    @Test func appsAreIndependent() throws {
        let store = InMemoryTokenStore(now: ManualClock().now)
        let a = try #require(Self.leaseOf(store.acquireRefresh(for: Self.key, leaseFor: Self.lease, until: .now)))
        let b = try #require(Self.leaseOf(store.acquireRefresh(for: Self.other, leaseFor: Self.lease, until: .now)))
        store.store("A", validFor: .seconds(100), lease: a)
        store.store("B", validFor: .seconds(100), lease: b)
        #expect(store.validToken(for: Self.key) == "A")
        #expect(store.validToken(for: Self.other) == "B")
    }

    @Test func keyNamesTheAppByAFingerprintOfItsSecret() {
        let key = TokenKey(corpID: AS.corpID, corpSecret: AS.secret)
        #expect(key == TokenKey(corpID: AS.corpID, app: "8fcaa3d704db8e53"))  // SHA-256, first 8 bytes
        #expect(key.description == "wwcorp0123/8fcaa3d704db8e53")
        #expect(!key.description.contains(AS.secret))
        #expect(TokenKey(corpID: AS.corpID, corpSecret: AS.secret + "x") != key)
        #expect(TokenKey(corpID: "wwother", corpSecret: AS.secret) != key)
    }

    /// Two caches of the same app over one store (a reload, or two hosts on a shared store) fetch once.
    @Test func cachesOfOneAppShareTheStoredToken() throws {
        let server = try MockWeComAPI { request, _ in
            request.path == "/cgi-bin/gettoken" ? .json(AS.tokenJSON) : .status(404)
        }
        defer { server.stop() }
        let store = InMemoryTokenStore()
        let client = WeComAPIClient(apiBase: server.base)
        let first = AccessTokenCache(corpID: AS.corpID, corpSecret: AS.secret, client: client, store: store)
        let second = AccessTokenCache(corpID: AS.corpID, corpSecret: AS.secret, client: client, store: store)
        #expect(try first.token() == AS.token)
        #expect(try second.token() == AS.token)
        #expect(first.fetchCount + second.fetchCount == 1)
        #expect(server.requests(path: "/cgi-bin/gettoken").count == 1)
        try second.invalidate(AS.token)
        #expect(try first.token() == AS.token)
        #expect(first.fetchCount == 2)
    }

    /// A gettoken failure gives the lease back: the next caller fetches, nothing is stored.
    @Test func failedFetchLeavesNothingStoredAndReleasesTheLease() throws {
        let server = try MockWeComAPI { request, index in
            index == 0 ? .json(#"{"errcode":40001,"errmsg":"invalid credential"}"#) : .json(AS.tokenJSON)
        }
        defer { server.stop() }
        let store = InMemoryTokenStore()
        let client = WeComAPIClient(apiBase: server.base)
        let cache = AccessTokenCache(corpID: AS.corpID, corpSecret: AS.secret, client: client, store: store)
        #expect(throws: WeComAPIError.api(errcode: 40001, errmsg: "invalid credential")) { try cache.token() }
        #expect(store.validToken(for: cache.key) == nil)
        #expect(try cache.token() == AS.token)
        #expect(cache.fetchCount == 2)
    }
}
