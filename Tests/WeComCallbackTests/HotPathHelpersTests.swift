import Foundation
import Logging
import Testing
@testable import WeComCallback

/// The server's log handler writes swift-log's `StreamLogHandler` line format, byte for byte.
@Suite struct StandardErrorLogHandlerTests {
    func event(_ message: Logger.Message, level: Logger.Level = .info, metadata: Logger.Metadata? = nil) -> LogEvent {
        LogEvent(level: level, message: message, metadata: metadata, source: "WeComCallback",
                 file: "f.swift", function: "f()", line: 1)
    }

    @Test func lineHasStreamLogHandlersFormat() {
        let handler = StandardErrorLogHandler(label: "wecom-fcgi", level: .info, fileDescriptor: -1)
        let stamp = String(decoding: TimestampCache.format(1_700_000_000), as: UTF8.self)
        let line = String(decoding: handler.line(for: event("POST /wecom/callback 200 app=hr"), now: 1_700_000_000), as: UTF8.self)
        #expect(line == "\(stamp) info wecom-fcgi: [WeComCallback] POST /wecom/callback 200 app=hr\n")
        // %Y-%m-%dT%H:%M:%S%z: 2023-11-14T22:13:20 in UTC, whatever the zone's offset is.
        #expect(stamp.count == 24)
        #expect(stamp.hasPrefix("2023-11-1"))
        #expect(stamp.dropFirst(19).first == "+" || stamp.dropFirst(19).first == "-")
    }

    @Test func metadataIsSortedKeyValuePairsBeforeTheSource() {
        var handler = StandardErrorLogHandler(label: "l", level: .debug, fileDescriptor: -1)
        handler[metadataKey: "zone"] = "b"
        let stamp = String(decoding: TimestampCache.format(0), as: UTF8.self)
        let line = String(decoding: handler.line(for: event("m", level: .notice, metadata: ["app": "hr"]), now: 0), as: UTF8.self)
        #expect(line == "\(stamp) notice l: app=hr zone=b [WeComCallback] m\n")
    }

    @Test func logWritesOneWholeLineToTheDescriptor() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let handler = StandardErrorLogHandler(label: "t", level: .info, fileDescriptor: fds[1])
        handler.log(event: event("one"))
        handler.log(event: event("two"))
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 4096)
        var text = ""
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            guard n > 0 else { break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(" info t: [WeComCallback] one") == true)
        #expect(lines.last?.hasSuffix(" info t: [WeComCallback] two") == true)
    }
}

/// The buffered CSPRNG behind `SystemRandom`: every byte handed out once, across refills.
@Suite struct RandomPoolTests {
    @Test func prefixesAreSixteenFreshBytesAcrossRefills() throws {
        let pool = RandomPool()
        // 300 × 16 bytes: more than one 4 KiB draw.
        let prefixes = try (0..<300).map { _ in try #require(pool.take(16)) }
        #expect(prefixes.allSatisfy { $0.count == 16 })
        #expect(Set(prefixes).count == 300)
        #expect(try #require(pool.take(5000)).count == 5000)
    }

    @Test func systemRandomGivesDistinctPrefixes() throws {
        let a = try #require(SystemRandom().randomPrefix())
        let b = try #require(SystemRandom().randomPrefix())
        #expect(a.count == 16 && b.count == 16)
        #expect(a != b)
    }
}

/// The fast paths of the base64 check and of CDATA writing agree with the rules they shortcut.
@Suite struct HotPathTextTests {
    @Test func base64RejectsCharactersAndMisplacedPaddingAtTheirOffset() {
        #expect(LibCrypto.base64Decode(Array("aGk=".utf8)) == .success(Array("hi".utf8)))
        #expect(LibCrypto.base64Decode(Array("aGVsbG8h".utf8)) == .success(Array("hello!".utf8)))
        #expect(LibCrypto.base64Decode(Array("aG k".utf8)) == .failure(.character(offset: 2)))
        #expect(LibCrypto.base64Decode(Array("a===".utf8)) == .failure(.character(offset: 1)))
        #expect(LibCrypto.base64Decode(Array("ab=c".utf8)) == .failure(.character(offset: 2)))
        #expect(LibCrypto.base64Decode(Array("abc".utf8)) == .failure(.length(3)))
        #expect(LibCrypto.base64Decode("aGk=".utf8) == .success(Array("hi".utf8)))
    }

    @Test func cdataEndIsFoundOnlyAsAWholeSequence() {
        #expect(XMLText.containsCDATAEnd("a]]>b"))
        #expect(XMLText.containsCDATAEnd("]]>"))
        #expect(!XMLText.containsCDATAEnd("a]>b]]"))
        #expect(!XMLText.containsCDATAEnd(">]]"))
        #expect(XMLText.cdata("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>")
        #expect(XMLText.cdata("a\u{1}b") == "<![CDATA[ab]]>")
        #expect(XMLText.isLegalASCII("tab\there\r\n"))
        #expect(!XMLText.isLegalASCII("bell\u{7}"))
        #expect(!XMLText.isLegalASCII("中文"))
    }
}
