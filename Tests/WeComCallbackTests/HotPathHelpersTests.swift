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

/// The direct reads of the request path give what the general code gives.
@Suite struct HotPathDirectReadTests {
    typealias Values = CallbackHandler.SignedValues

    /// What the handler read before the direct path: QueryString's dictionary.
    func viaQueryString(_ raw: String) -> Values? {
        guard let query = try? QueryString.parse(raw) else { return nil }
        return Values(msgSignature: query["msg_signature"], timestamp: query["timestamp"], nonce: query["nonce"],
                      echostr: query["echostr"])
    }

    func same(_ a: Values?, _ b: Values?) -> Bool {
        a?.msgSignature == b?.msgSignature && a?.timestamp == b?.timestamp && a?.nonce == b?.nonce
            && a?.echostr == b?.echostr && (a == nil) == (b == nil)
    }

    @Test func plainQueriesReadTheSameValues() throws {
        let taken = [
            "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149",
            "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149&echostr=a+b/c==",
            "nonce=1&&timestamp=2&msg_signature&extra=x=y&=&echostr=",
            "", "&", "timestamp", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8",
        ]
        for raw in taken {
            let plain = try #require(CallbackHandler.plainSignedValues(raw), "\(raw)")
            #expect(same(plain, viaQueryString(raw)), "\(raw)")
        }
        let values = try #require(CallbackHandler.plainSignedValues(taken[2]))
        #expect(values.nonce == "1" && values.timestamp == "2" && values.msgSignature == "" && values.echostr == "")
    }

    @Test func everyOtherQueryIsLeftToQueryString() {
        let left = [
            "nonce=1&nonce=2",                                   // duplicate: QueryString's error
            "a=1&a=2&nonce=3",
            "msg_signature=%61b&timestamp=1&nonce=2",            // escapes are decoded there
            "nonce=%G1",
            "\u{212A}=1&K=2&nonce=1",                            // non-ASCII (Kelvin sign == K as Strings)
            "nonce=中文",
            "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9",               // more than eight
        ]
        for raw in left {
            #expect(CallbackHandler.plainSignedValues(raw) == nil, "\(raw)")
        }
        #expect(viaQueryString("\u{212A}=1&K=2&nonce=1") == nil)
    }

    @Test func sortOrderIsTheBytesOrder() throws {
        let words = ["", "a", "ab", "b", "1409659813", "1372623149", "QDG6eK", "Z", "z", "中", "中文", "é", "e\u{301}",
                     "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5", "Ryp", "\u{7f}", "\u{80}"]
        for x in words {
            for y in words {
                var (a, b) = (x, y)
                #expect(Signature.precedes(&a, &b) == x.utf8.lexicographicallyPrecedes(y.utf8), "\(x) \(y)")
            }
        }
        #expect(try Signature.compute(token: "QDG6eK", timestamp: "1409659813", nonce: "1372623149",
                                      data: "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
                == "477715d11cdb4164915debcba66cb864d751f3e6")
    }

    @Test func logFieldsAndDurations() {
        #expect(LogText.isPrintableASCII("POST /wecom/callback ~"))
        #expect(LogText.isPrintableASCII(""))
        #expect(!LogText.isPrintableASCII("a\u{7f}"))
        #expect(!LogText.isPrintableASCII("tab\t"))
        #expect(!LogText.isPrintableASCII("é"))
        #expect(LogText.sanitize("/wecom/callback") == "/wecom/callback")
        #expect(CallbackHandler.milliseconds(.seconds(999_999_999)) == "999999999000.00")
        #expect(CallbackHandler.milliseconds(.seconds(999_999_999) + .milliseconds(999) + .microseconds(994)) == "999999999999.99")
        #expect(CallbackHandler.milliseconds(.seconds(1_000_000_000)) == "-")
        #expect(CallbackHandler.milliseconds(.microseconds(99_995)) == "100.00")
        #expect(CallbackHandler.milliseconds(.nanoseconds(1)) == "0.00")
        var line = Array("x ".utf8)
        CallbackHandler.appendMilliseconds(.microseconds(430), to: &line)
        #expect(String(decoding: line, as: UTF8.self) == "x 0.43")
    }
}

/// The byte forms of the reply and the in-place frame checks give exactly what the `String` and
/// ``WXBizMsgCrypt/Frame`` forms give.
@Suite struct HotPathBytesTests {
    let token = "QDG6eK", key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", corpID = "wx5823bf96d3bd56c7"

    @Test func replyEnvelopeBytesAreTheStringsBytes() throws {
        let crypt = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: corpID,
                                      random: FixedRandom(Array("0123456789abcdef".utf8)))
        for plaintext in ["", "<xml>hi</xml>", String(repeating: "中", count: 300)] {
            let text = try crypt.encryptReply(Array(plaintext.utf8), timestamp: "1700000000", nonce: "n]]>1")
            let bytes = try crypt.encryptReplyBytes(Array(plaintext.utf8), timestamp: "1700000000", nonce: "n]]>1")
            #expect(bytes == Array(text.utf8))
            #expect(text.hasPrefix("<xml>\n<Encrypt><![CDATA["))
            #expect(text.hasSuffix("<Nonce><![CDATA[n]]]]><![CDATA[>1]]></Nonce>\n</xml>"))
        }
        #expect(throws: WXBizMsgCryptError.buildReplyFailed("timestamp must be decimal digits")) {
            try crypt.encryptReplyBytes([], timestamp: "17x", nonce: "n")
        }
    }

    @Test func framePartsCheckedInPlaceMatchTheFrame() throws {
        let crypt = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: corpID,
                                      random: FixedRandom(Array("0123456789abcdef".utf8)))
        for message in ["", "x", "<xml><Content><![CDATA[你好]]></Content></xml>", String(repeating: "y", count: 1000)] {
            let encrypt = try crypt.encrypt(Array(message.utf8))
            let frame = try crypt.decrypt(encrypt)
            #expect(frame.random == Array("0123456789abcdef".utf8))
            #expect(frame.message == Array(message.utf8))
            #expect(frame.receiveID == Array(corpID.utf8))
            #expect(frame.padValue == 32 - (20 + message.utf8.count + corpID.utf8.count) % 32)
            let signature = try Signature.compute(token: token, timestamp: "1", nonce: "2", data: encrypt)
            #expect(try crypt.decryptMessage(msgSignature: signature, timestamp: "1", nonce: "2", encrypt: encrypt) == frame.message)
            // Another corp's key material, the same receiveid length: refused.
            let other = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: "wx5823bf96d3bd56c8")
            #expect(throws: WXBizMsgCryptError.receiveIDMismatch) {
                try other.decryptMessage(msgSignature: signature, timestamp: "1", nonce: "2", encrypt: encrypt)
            }
            let shorter = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: "wx")
            #expect(throws: WXBizMsgCryptError.receiveIDMismatch) {
                try shorter.decryptMessage(msgSignature: signature, timestamp: "1", nonce: "2", encrypt: encrypt)
            }
        }
    }

    @Test func paddingInPlaceIsPKCS7To32() {
        for length in 0..<70 {
            var buffer = [UInt8](repeating: 7, count: length)
            PKCS7.padInPlace(&buffer)
            let count = 32 - length % 32
            #expect(buffer == [UInt8](repeating: 7, count: length) + [UInt8](repeating: UInt8(count), count: count))
            #expect(PKCS7.pad([UInt8](repeating: 7, count: length)) == buffer)
        }
    }

    @Test func renderedBytesAreTheStringsBytes() throws {
        let replies: [PassiveReply] = [.text("hello ]]> 中\u{1}"), .text(String(repeating: "长", count: 1000)), .image(mediaID: "m"),
                                       .news(try NewsArticles([NewsArticle(title: "t", description: "d", url: "u", picURL: "p")]))]
        for reply in replies {
            let bytes = reply.renderXMLBytes(toUser: "zhang]]>san", fromUser: corpID, createTime: 1_700_000_000)
            #expect(bytes == Array(reply.renderXML(toUser: "zhang]]>san", fromUser: corpID, createTime: 1_700_000_000).utf8))
        }
        #expect(String(decoding: PassiveReply.text("hi").renderXMLBytes(toUser: "u", fromUser: "c", createTime: 5), as: UTF8.self)
                == "<xml><ToUserName><![CDATA[u]]></ToUserName><FromUserName><![CDATA[c]]></FromUserName><CreateTime>5</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>")
    }
}

/// App paths are normalised as before the last-byte shortcut.
@Suite struct PathNormalisationTests {
    /// The normalisation without the shortcut.
    func reference(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    @Test func sameAsTheCharacterLoop() {
        let paths = ["", "/", "//", "///", "/wecom/callback", "/wecom/callback/", "/wecom/callback//", "a/", "/中文/",
                     "/a\u{600}/", "/a/\u{301}", "/\u{301}", "x"]
        for path in paths {
            #expect(CallbackApp.normalise(path) == reference(path), "\(path)")
        }
        #expect(CallbackApp.normalise("/wecom/app/") == "/wecom/app")
        #expect(CallbackApp.normalise("//") == "/")
        #expect(CallbackApp.normalise("/wecom/callback") == "/wecom/callback")
    }
}
