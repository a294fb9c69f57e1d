import Testing
@testable import FastCGI

/// The scan that keeps libfcgi from allocating what a `FCGI_PARAMS` pair declares (FastCGI 1.0 §3.3–§3.4).
@Suite struct ParamsGuardTests {
    /// One record: version 1, `type`, request id 1, the content, `padding` zero bytes.
    func record(_ type: UInt8, _ content: [UInt8], padding: UInt8 = 0) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), padding, 0]
            + content + [UInt8](repeating: 0, count: Int(padding))
    }

    let begin: [UInt8] = [1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    /// `REQUEST_METHOD=GET` as one pair.
    let pair: [UInt8] = [14, 3] + Array("REQUEST_METHOD".utf8) + Array("GET".utf8)

    @Test func parametersEndingWithTheEmptyRecordPass() {
        let stream = begin + record(4, pair, padding: 3) + record(4, []) + record(5, [])
        #expect(ParamsGuard.scan(stream[...]) == .pass)
    }

    @Test func parametersNotEndedYetNeedMoreEvenSplitMidPair() {
        #expect(ParamsGuard.scan(begin[...]) == .needMore)
        let split = begin + record(4, Array(pair[0..<1])) + record(4, Array(pair[1...]))
        #expect(ParamsGuard.scan(split[...]) == .needMore)
        #expect(ParamsGuard.scan((split + record(4, []))[...]) == .pass)
        // A header cut short.
        #expect(ParamsGuard.scan((begin + [1, 4, 0])[...]) == .needMore)
    }

    @Test func aPairDeclaringMoreThanTheLimitIsRefusedAsSoonAsItsLengthsAreSeen() {
        // Name and value lengths 0x7ffffff0 each: libfcgi's malloc of their sum failed and it aborted.
        let huge: [UInt8] = [0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xf0]
        guard case .refuse(let reason) = ParamsGuard.scan((begin + record(4, huge))[...]) else {
            Issue.record("not refused")
            return
        }
        #expect(reason == "a FastCGI parameter declares 2147483632 + 2147483632 bytes (more than 1048576)")
        // The 4-byte length split over two records is read whole.
        let split = begin + record(4, pair + Array(huge[0..<3])) + record(4, Array(huge[3...]))
        #expect(ParamsGuard.scan(split[...]) == .refuse(reason))
        // Exactly the limit passes the check.
        let limit: [UInt8] = [0x80, 0x10, 0x00, 0x00, 0]
        #expect(ParamsGuard.scan((begin + record(4, limit))[...]) == .needMore)
    }

    @Test func aStreamThatIsNotFastCGIOneIsLeftToLibfcgi() {
        #expect(ParamsGuard.scan([9, 1, 0, 1, 0, 0, 0, 0][...]) == .pass)
    }

    @Test func parametersThatDoNotEndWithinTheWindowAreRefused() {
        var stream = begin
        while stream.count < ParamsGuard.windowBytes { stream += record(4, [UInt8](repeating: 1, count: 60_000)) }
        #expect(ParamsGuard.scan(stream[...]) == .refuse("FastCGI parameters longer than 65536 bytes"))
    }
}
