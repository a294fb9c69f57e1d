import Testing
@testable import WeComCallback

/// The duration field of the one-line request log.
@Suite struct CallbackHandlerLogTests {
    @Test(arguments: [
        (Duration.zero, "0.00"),
        (.microseconds(4), "0.00"),
        (.microseconds(5), "0.01"),
        (.microseconds(430), "0.43"),
        (.microseconds(995), "1.00"),
        (.milliseconds(12), "12.00"),
        (.seconds(2) + .microseconds(1234), "2001.23"),
    ])
    func durationIsMillisecondsWithTwoDecimals(duration: Duration, text: String) {
        #expect(CallbackHandler.milliseconds(duration) == text)
    }

    @Test func negativeDurationIsADash() {
        #expect(CallbackHandler.milliseconds(.microseconds(-3)) == "-")
    }
}
