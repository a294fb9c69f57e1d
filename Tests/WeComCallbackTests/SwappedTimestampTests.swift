import Testing
@testable import WeComCallback

/// A replay with `timestamp` and `nonce` exchanged (both are inside the sorted signature, spec §3) is
/// told apart by the message's `CreateTime` (1700000000 in ``RT/xml(_:_:from:agentID:msgID:)``).
@Suite struct SwappedTimestampTests {
    let pipeline = RT.processor([Route(index: 0, action: .echo)])

    func outcome(timestamp: String, nonce: String, window: Duration? = .seconds(300)) -> ProcessingOutcome.Disposition {
        let context = ProcessingContext(appName: "helpdesk", corpID: RT.corpID, arrival: .now, timestamp: timestamp,
                                        nonce: nonce, replayWindow: window)
        return pipeline.process(RT.text("hi"), context: context).disposition
    }

    @Test func createTimeNearTheNonceButNotTheTimestampIsRefused() {
        // Captured with timestamp 1700000000 and nonce 1800000000, replayed exchanged.
        #expect(outcome(timestamp: "1800000000", nonce: "1700000000")
            == .forbidden("CreateTime is 0 s from the nonce but -100000000 s from the timestamp: a replay with timestamp and nonce exchanged"))
        #expect(outcome(timestamp: "1800000000", nonce: "1700000300")  // 300 s from the nonce: still inside the window
            == .forbidden("CreateTime is -300 s from the nonce but -100000000 s from the timestamp: a replay with timestamp and nonce exchanged"))
    }

    @Test func genuineRequestsPass() {
        let echo = RT.expected(.text("hi"))
        #expect(outcome(timestamp: "1700000000", nonce: "1800000000") == echo)         // the original
        #expect(outcome(timestamp: "1700000300", nonce: "1700000000") == echo)         // timestamp inside the window
        #expect(outcome(timestamp: "1800000000", nonce: "1700000301") == echo)         // nonce outside it
        #expect(outcome(timestamp: "1800000000", nonce: "abc") == echo)                // not a number
        #expect(outcome(timestamp: "1800000000", nonce: "1700000000", window: nil) == echo)  // window off
    }
}
