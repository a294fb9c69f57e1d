import Testing
@testable import WeComCallback

/// The one-pass envelope scan gives what the full reader gives, or leaves the body to it.
@Suite struct EnvelopeScanTests {
    let corpID = "wx5823bf96d3bd56c7"
    let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS"

    func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func scansTheUsualEnvelope() throws {
        let usual = body("<xml><ToUserName><![CDATA[\(corpID)]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[\(encrypt)]]></Encrypt></xml>")
        let scanned = try #require(Envelope.scanPlain(usual, limits: Envelope.limits))
        #expect(scanned == Envelope(encrypt: encrypt, toUserName: corpID, agentID: "1000002"))
        #expect(try Envelope(parsing: usual) == scanned)
        #expect(try Envelope.read(usual, limits: Envelope.limits) == scanned)
    }

    @Test func scanAgreesWithTheReaderOnTheShapesItTakes() throws {
        let taken = [
            "<xml><Encrypt>abc</Encrypt></xml>",
            " \n\t<xml>\n <ToUserName>\(corpID)</ToUserName>\n\t<AgentId> 42 </AgentId>\n<Encrypt>\n abc+/= \n</Encrypt>\n</xml>\n ",
            "<xml><AgentId>7</AgentId><AgentID>8</AgentID><Encrypt><![CDATA[a]]></Encrypt><Encrypt>b</Encrypt></xml>",
            "<xml><AgentID></AgentID><AgentId>9</AgentId><Encrypt>x</Encrypt><ToUserName></ToUserName></xml>",
            "<xml><AgentID>   </AgentID><Encrypt>x</Encrypt><Other.x:y-z_1>a > b ]]> c</Other.x:y-z_1></xml>",
            "<xml><ToUserName><![CDATA[<&>]]></ToUserName><Encrypt><![CDATA[]]]></Encrypt></xml>",
        ]
        for text in taken {
            let scanned = try #require(Envelope.scanPlain(body(text), limits: Envelope.limits), "\(text)")
            #expect(try Envelope.read(body(text), limits: Envelope.limits) == scanned, "\(text)")
        }
        #expect(Envelope.scanPlain(body(taken[2]), limits: Envelope.limits) == Envelope(encrypt: "a", agentID: "8"))
        #expect(Envelope.scanPlain(body(taken[3]), limits: Envelope.limits) == Envelope(encrypt: "x", toUserName: "", agentID: nil))
        #expect(Envelope.scanPlain(body(taken[5]), limits: Envelope.limits) == Envelope(encrypt: "]", toUserName: "<&>"))
    }

    /// Every other shape is left to the reader, whose result (or error) stays what it was.
    @Test func everythingElseIsLeftToTheReader() throws {
        let left = [
            "", "<xml/>", "<xml></xml>", "<xml><Encrypt></Encrypt></xml>", "<xml><Encrypt> \n </Encrypt></xml>",
            "<xml>\r\n<Encrypt>abc</Encrypt>\r\n</xml>",                         // CR: line ends are normalised
            "\u{FEFF}<xml><Encrypt>abc</Encrypt></xml>",                          // BOM, non-ASCII
            "<xml><ToUserName>é</ToUserName><Encrypt>abc</Encrypt></xml>",
            "<?xml version=\"1.0\"?><xml><Encrypt>abc</Encrypt></xml>",
            "<!DOCTYPE x><xml><Encrypt>abc</Encrypt></xml>",
            "<xml><Encrypt>a&amp;b</Encrypt></xml>",
            "<xml><Encrypt>a<![CDATA[b]]></Encrypt></xml>",
            "<xml><Encrypt><![CDATA[a]]>b</Encrypt></xml>",
            "<xml><Encrypt a='1'>abc</Encrypt></xml>",
            "<xml><Encrypt>abc</Encrypt ></xml>",
            "<xml><Encrypt>abc</Encrypted></xml>",
            "<xml><Encrypt>abc</Encrypt><AgentID/></xml>",
            "<xml><Encrypt>abc</Encrypt><!--c--></xml>",
            "<xml>text<Encrypt>abc</Encrypt></xml>",
            "<xml><Encrypt>abc</Encrypt></xml><x/>",
            "<xml><Encrypt>abc</Encrypt></xml>junk",
            "<xml><Encrypt>abc</Encrypt></xmll>",
            "<root><Encrypt>abc</Encrypt></root>",
            "<xml><A><Encrypt>abc</Encrypt></A></xml>",
            "<xml><Encrypt><![CDATA[abc</Encrypt></xml>",
            "<xml><Encrypt>abc",
        ]
        for text in left {
            #expect(Envelope.scanPlain(body(text), limits: Envelope.limits) == nil, "\(text)")
            let parsed = Result { () throws(MessageError) -> Envelope in try Envelope(parsing: body(text)) }
            let read = Result { () throws(MessageError) -> Envelope in try Envelope.read(body(text), limits: Envelope.limits) }
            #expect(parsed == read, "\(text)")
        }
        #expect(throws: MessageError.missingField("Encrypt")) { try Envelope(parsing: body("<xml><Encrypt> </Encrypt></xml>")) }
        #expect(try Envelope(parsing: body("<xml>\r\n<Encrypt>abc</Encrypt>\r\n</xml>")) == Envelope(encrypt: "abc"))
    }

    @Test func limitsStillHold() throws {
        let children = (0..<70).map { "<F\($0)>x</F\($0)>" }.joined()
        let many = body("<xml>\(children)<Encrypt>abc</Encrypt></xml>")
        #expect(Envelope.scanPlain(many, limits: Envelope.limits) == nil)
        #expect(throws: MessageError.xml(.tooManyElements(limit: 64))) { try Envelope(parsing: many) }
        let usual = body("<xml><Encrypt>abc</Encrypt></xml>")
        let small = XMLReader.Limits(maxBytes: 10, maxDepth: 4, maxElements: 64)
        #expect(Envelope.scanPlain(usual, limits: small) == nil)
        #expect(throws: MessageError.xml(.tooLarge(bytes: usual.count, limit: 10))) { try Envelope(parsing: usual, limits: small) }
        let flat = XMLReader.Limits(maxBytes: 1 << 20, maxDepth: 1, maxElements: 64)
        #expect(Envelope.scanPlain(usual, limits: flat) == nil)
        #expect(throws: MessageError.xml(.tooDeep(limit: 1))) { try Envelope(parsing: usual, limits: flat) }
        let two = XMLReader.Limits(maxBytes: 1 << 20, maxDepth: 4, maxElements: 2)
        #expect(Envelope.scanPlain(body("<xml><Encrypt>abc</Encrypt></xml>"), limits: two) == Envelope(encrypt: "abc"))
        #expect(Envelope.scanPlain(body("<xml><A>b</A><Encrypt>abc</Encrypt></xml>"), limits: two) == nil)
    }

    /// Every prefix and every one-byte change of the usual envelope: the scan takes it only when the reader
    /// reads the same envelope from it.
    @Test func mutationsOfTheUsualEnvelope() throws {
        let usual = body("<xml><ToUserName><![CDATA[\(corpID)]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>")
        var variants = (0..<usual.count).map { Array(usual[0..<$0]) }
        for index in usual.indices {
            for replacement in [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: " "), UInt8(ascii: "&"),
                                UInt8(ascii: "]"), UInt8(ascii: "x"), 0x0D, 0xC3] {
                var changed = usual
                changed[index] = replacement
                variants.append(changed)
            }
        }
        var taken = 0
        for variant in variants {
            guard let scanned = Envelope.scanPlain(variant, limits: Envelope.limits) else { continue }
            taken += 1
            let read = Result { () throws(MessageError) -> Envelope in try Envelope.read(variant, limits: Envelope.limits) }
            #expect(read == .success(scanned), "\(String(decoding: variant, as: UTF8.self))")
        }
        #expect(taken > 100)
    }
}
