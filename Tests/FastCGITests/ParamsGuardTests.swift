import Platform
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

    /// Writes `bytes` into one end of a unix socket pair and runs `check` on the other end.
    func checked(_ bytes: [UInt8], buffer: inout [UInt8]) -> String? {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return "socketpair failed" }
        defer { close(fds[0]); close(fds[1]) }
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        guard written == bytes.count else { return "short write" }
        return ParamsGuard.check(fds[0], timeoutMS: 1000, buffer: &buffer)
    }

    @Test func parametersLongerThanTheFirstPeekGrowTheBufferAndPass() {
        // About 10 KiB of parameters: more than the 4 KiB first peek, less than the 64 KiB window.
        let long: [UInt8] = [14, 0x80, 0, 0x27, 0x10] + Array("REQUEST_METHOD".utf8) + [UInt8](repeating: 0x61, count: 10_000)
        let stream = begin + record(4, long) + record(4, []) + record(5, [])
        var buffer: [UInt8] = []
        #expect(checked(stream, buffer: &buffer) == nil)
        #expect(buffer.count == 16 * 1024)
        var small: [UInt8] = []
        #expect(checked(begin + record(4, pair) + record(4, []), buffer: &small) == nil)
        #expect(small.count == ParamsGuard.firstPeekBytes)
    }

    @Test func aPeekedStreamPastTheWindowIsRefused() {
        var stream = begin
        while stream.count < ParamsGuard.windowBytes + 8 { stream += record(4, [UInt8](repeating: 1, count: 60_000)) }
        var buffer: [UInt8] = []
        #expect(checked(stream, buffer: &buffer) == "FastCGI parameters longer than 65536 bytes")
        #expect(buffer.count == ParamsGuard.windowBytes)
    }
}
