import Testing
@testable import WeComCallback

/// The delivery rules as plain values: no threads, no sleeps; time is a monotonic instant passed in.
@Suite struct DeliveryStateMachineTests {
    let reply = PassiveReply.text("done")

    @Test func aResultInTimeAnswersEveryArrivalWithIt() {
        var machine = DeliveryStateMachine()
        #expect(machine.answer == nil)  // running: arrivals wait
        #expect(machine.actionFinished(reply: reply, failure: nil) == .answerWaitingArrivals)
        #expect(machine.answer == .reply(reply, failure: nil))
        #expect(machine.budgetEnded() == .reply(reply, failure: nil))  // a late waiter still gets it
        #expect(machine.state == .answered(reply, failure: nil))
    }

    @Test func aMissedBudgetAnswersEmptyAndTheLateResultGoesOutOnce() {
        var machine = DeliveryStateMachine()
        #expect(machine.budgetEnded() == .missedBudget)
        #expect(machine.answer == .missedBudget)  // a retry now: empty, never the action again
        #expect(machine.actionFinished(reply: reply, failure: nil) == .deliverLate(reply, failure: nil))
        #expect(machine.answer == .missedBudget)  // a retry after the result: still empty
        #expect(machine.actionFinished(reply: reply, failure: nil) == .ignore)  // never delivered twice
        #expect(machine.state == .deliveredLate)
    }

    @Test func aFailureWithoutOnErrorReachesTheFirstArrivalOnly() {
        var machine = DeliveryStateMachine()
        #expect(machine.actionFinished(reply: nil, failure: "exited with status 3") == .answerWaitingArrivals)
        #expect(machine.answer == .reply(nil, failure: "exited with status 3"))
    }

    @Test func aLateFailureIsHandedOnWithItsReason() {
        var machine = DeliveryStateMachine(state: .missedBudget)
        #expect(machine.actionFinished(reply: nil, failure: "timed out") == .deliverLate(nil, failure: "timed out"))
    }

    @Test func tableClaimsOnceAndForgetsAfterTheTTL() {
        let t0 = ContinuousClock.now
        var table = DeliveryTable(capacity: 10, ttl: .seconds(600))
        let key = DeliveryKey(rawValue: "app\u{0}1")
        #expect(table.claim(key, route: 2, now: t0) == .first(key))
        _ = table.update(key) { $0.actionFinished(reply: reply, failure: nil) }
        #expect(table.claim(key, route: 5, now: t0 + .seconds(599)) == .retry(key, route: 2))
        #expect(table.claim(key, route: 5, now: t0 + .seconds(600)) == .first(key))
    }

    @Test func aDeliveryWhoseProgramStillRunsOutlivesItsTTLUntilItFinishes() {
        let t0 = ContinuousClock.now
        var table = DeliveryTable(capacity: 10, ttl: .seconds(60))
        let slow = DeliveryKey(rawValue: "slow"), other = DeliveryKey(rawValue: "other")
        _ = table.claim(slow, route: 0, now: t0)
        _ = table.claim(other, route: 0, now: t0 + .seconds(1))
        _ = table.update(other) { $0.actionFinished(reply: nil, failure: nil) }
        // Past the TTL the finished one is forgotten, the running one is still there for its retries.
        #expect(table.claim(slow, route: 0, now: t0 + .seconds(90)) == .retry(slow, route: 0))
        #expect(table.claim(other, route: 0, now: t0 + .seconds(90)) == .first(other))
        // Once its program finishes, the next expiry forgets it.
        _ = table.update(slow) { $0.actionFinished(reply: reply, failure: nil) }
        table.expire(now: t0 + .seconds(91))
        #expect(table.machine(slow) == nil)
    }

    @Test func tableForgetsTheOldestBeyondItsCapacity() {
        let t0 = ContinuousClock.now
        var table = DeliveryTable(capacity: 3, ttl: .seconds(10))
        let keys = ["a", "b", "c", "d"].map { DeliveryKey(rawValue: $0) }
        for key in keys { _ = table.claim(key, route: nil, now: t0) }
        #expect(table.count == 3)
        #expect(table.claim(keys[0], route: nil, now: t0) == .first(keys[0]))
        #expect(table.claim(keys[3], route: nil, now: t0 + .seconds(9)) == .retry(keys[3], route: nil))
    }

    @Test func capacityPressureForgetsFinishedDeliveriesBeforeOneWhoseActionStillRuns() {
        let t0 = ContinuousClock.now
        var table = DeliveryTable(capacity: 2, ttl: .seconds(600))
        let slow = DeliveryKey(rawValue: "app\u{0}slow")
        #expect(table.claim(slow, route: 0, now: t0) == .first(slow))
        // More distinct messages than the capacity while the slow program runs; each finishes at once.
        let quick = (1...5).map { DeliveryKey(rawValue: "app\u{0}q\($0)") }
        for key in quick {
            #expect(table.claim(key, route: 1, now: t0) == .first(key))
            _ = table.update(key) { $0.actionFinished(reply: reply, failure: nil) }
        }
        #expect(table.count == 2)
        // A retry of the slow message is still a retry: its action never runs a second time.
        #expect(table.claim(slow, route: 0, now: t0 + .seconds(5)) == .retry(slow, route: 0))
        #expect(table.machine(slow)?.answer == nil)
        #expect(table.claim(quick[4], route: 1, now: t0) == .retry(quick[4], route: 1))
        #expect(table.machine(quick[0]) == nil)
        // Past the budget it is still running: a retry then answers empty, and still never re-runs.
        _ = table.update(slow) { $0.budgetEnded() }
        #expect(table.claim(DeliveryKey(rawValue: "app\u{0}q6"), route: 1, now: t0) == .first(DeliveryKey(rawValue: "app\u{0}q6")))
        #expect(table.claim(slow, route: 0, now: t0 + .seconds(10)) == .retry(slow, route: 0))
        // Once finished, it is forgotten in its turn (the oldest), and expires with its TTL.
        _ = table.update(slow) { $0.actionFinished(reply: reply, failure: nil) }
        #expect(table.claim(DeliveryKey(rawValue: "app\u{0}q7"), route: 1, now: t0) == .first(DeliveryKey(rawValue: "app\u{0}q7")))
        #expect(table.machine(slow) == nil)
    }

    @Test func aKeyForgottenOutOfOrderAndClaimedAgainExpiresByItsNewArrival() {
        let t0 = ContinuousClock.now
        var table = DeliveryTable(capacity: 2, ttl: .seconds(10))
        let (a, b, c) = (DeliveryKey(rawValue: "a"), DeliveryKey(rawValue: "b"), DeliveryKey(rawValue: "c"))
        _ = table.claim(a, route: nil, now: t0)                   // a runs
        _ = table.claim(b, route: nil, now: t0)
        _ = table.update(b) { $0.actionFinished(reply: nil, failure: nil) }
        _ = table.claim(c, route: nil, now: t0)                   // b is forgotten, not a
        #expect(table.machine(b) == nil && table.machine(a) != nil)
        _ = table.update(a) { $0.actionFinished(reply: nil, failure: nil) }
        _ = table.update(c) { $0.actionFinished(reply: nil, failure: nil) }
        #expect(table.claim(b, route: nil, now: t0 + .seconds(8)) == .first(b))  // a is forgotten now
        #expect(table.machine(a) == nil)
        // At t0 + 10 c (t0) expires; b (t0 + 8), claimed again, is still remembered.
        #expect(table.claim(b, route: nil, now: t0 + .seconds(10)) == .retry(b, route: nil))
        #expect(table.machine(c) == nil)
    }

    @Test func zeroCapacityGivesEveryArrivalADeliveryOfItsOwn() {
        let t0 = ContinuousClock.now
        var table = DeliveryTable(capacity: 0, ttl: .seconds(10))
        let key = DeliveryKey(rawValue: "a")
        guard case .first(let one) = table.claim(key, route: nil, now: t0),
              case .first(let two) = table.claim(key, route: nil, now: t0) else {
            Issue.record("dedup should be off")
            return
        }
        #expect(one != two)
        _ = table.update(one) { $0.actionFinished(reply: reply, failure: nil) }
        #expect(table.machine(one)?.answer == .reply(reply, failure: nil))
        #expect(table.machine(two)?.answer == nil)
    }

    @Test func storeAnswersAtOnceWhenTheResultIsThereAndEmptyPastTheDeadline() {
        let store = InMemoryDeliveryStore(capacity: 10, ttl: .seconds(600))
        let now = ContinuousClock.now
        let key = DeliveryKey(rawValue: "k")
        #expect(store.claim(key, route: 0, now: now) == .first(key))
        // A deadline already past: the running delivery misses its budget without waiting.
        #expect(store.answer(for: key, waitingUntil: now - .seconds(1)) == .missedBudget)
        #expect(store.finish(key, reply: reply, failure: nil) == .deliverLate(reply, failure: nil))
        let other = DeliveryKey(rawValue: "other")
        _ = store.claim(other, route: 0, now: now)
        #expect(store.finish(other, reply: reply, failure: nil) == .answerWaitingArrivals)
        #expect(store.answer(for: other, waitingUntil: now - .seconds(1)) == .reply(reply, failure: nil))
        // A key the store never saw (or forgot) cannot be answered passively.
        #expect(store.answer(for: DeliveryKey(rawValue: "nobody"), waitingUntil: now + .seconds(5)) == .missedBudget)
        #expect(store.finish(DeliveryKey(rawValue: "nobody"), reply: reply, failure: nil) == .deliverLate(reply, failure: nil))
    }

    @Test func theCacheRemembersEveryDeliveryAsLongAsTheReplayWindowAllows() {
        var settings = ServerSettings()
        #expect(settings.deliveryTTL == .seconds(605))  // dedup_ttl_s 300, skew 300: 2 × 300 + 5
        settings.maxTimestampSkewSeconds = 0
        #expect(settings.deliveryTTL == .seconds(300))
        settings.dedupTTLSeconds = 3600
        settings.maxTimestampSkewSeconds = 900
        #expect(settings.deliveryTTL == .seconds(3600))
    }
}
