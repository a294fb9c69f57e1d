import Testing
@testable import WeComCallback

@Suite struct XMLReaderTests {
    let reader = XMLReader()

    func parse(_ s: String) throws(XMLError) -> XMLElement { try reader.parse(s) }

    @Test func parsesTextCDATACommentsAndPIs() throws {
        let root = try parse("\u{FEFF}<?xml version=\"1.0\"?>\r\n<!-- c --><xml a=\"1\" b='>'>\r\n <A><![CDATA[x]]></A><?pi x?><B>1 &amp; 2 &lt;&gt;&quot;&apos;&#20013;&#x1F600;</B><C/><D></D>\r\n</xml>\n<!-- end -->\n")
        #expect(root.name == "xml")
        #expect(root.children.map(\.name) == ["A", "B", "C", "D"])
        #expect(root.child("A")?.text == "x")
        #expect(root.child("B")?.text == "1 & 2 <>\"'中😀")
        #expect(root.child("C") == XMLElement(name: "C"))
        #expect(root.child("D")?.text == "")
    }

    @Test func concatenatesSplitCDATA() throws {
        let root = try parse("<xml><Content><![CDATA[if a]]]]><![CDATA[>b]]>&amp;<![CDATA[!]]></Content></xml>")
        #expect(root.child("Content")?.text == "if a]]>b&!")
    }

    @Test func keepsEmojiAndCJKExactly() throws {
        let root = try parse("<xml><T>你好 👍😀 𠀀</T></xml>")
        #expect(root.child("T")?.text == "你好 👍😀 𠀀")
    }

    @Test func normalisesLineEndsInText() throws {
        let root = try parse("<xml><T><![CDATA[a\r\nb\rc]]>&#13;</T></xml>")
        #expect(root.child("T")?.text == "a\nb\nc\r")
    }

    /// Documented decision: XML-illegal control characters inside CDATA or text are kept verbatim.
    @Test func keepsControlCharactersInCDATA() throws {
        let root = try parse("<xml><Content><![CDATA[a\u{10}b\u{1D}c\u{0}]]>\u{1}</Content></xml>")
        #expect(root.child("Content")?.text == "a\u{10}b\u{1D}c\u{0}\u{1}")
    }

    @Test func rejectsDoctypeWithExternalEntityBeforeReadingIt() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><Encrypt>&xxe;</Encrypt></xml>"
        #expect(throws: XMLError.doctypeForbidden(offset: 21)) { try parse(xml) }
    }

    @Test func rejectsDoctypeInsideContentAndLowercase() {
        #expect(throws: XMLError.doctypeForbidden(offset: 5)) { try parse("<xml><!doctype x></xml>") }
    }

    @Test func rejectsBillionLaughs() {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        for k in 1...9 { xml += "<!ENTITY lol\(k) \"" + String(repeating: "&lol\(k - 1 == 0 ? "" : String(k - 1));", count: 10) + "\">" }
        xml += "]><lolz>&lol9;</lolz>"
        #expect(throws: XMLError.doctypeForbidden(offset: 21)) { try parse(xml) }
    }

    @Test func rejectsUndeclaredEntityReference() {
        #expect(throws: XMLError.entityForbidden(offset: 8, name: "xxe")) { try parse("<xml><A>&xxe;</A></xml>") }
        #expect(throws: XMLError.entityForbidden(offset: 0, name: "")) { try parse("<!ENTITY x \"y\"><xml/>") }
    }

    @Test func rejectsDeepNestingQuickly() {
        let xml = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        #expect(throws: XMLError.tooDeep(limit: 16)) { try parse(xml) }
    }

    @Test func rejectsTooManyElements() {
        let xml = "<xml>" + String(repeating: "<a/>", count: 5000) + "</xml>"
        #expect(throws: XMLError.tooManyElements(limit: 4096)) { try parse(xml) }
    }

    @Test func rejectsTwoMebibyteElement() {
        let xml = "<xml><Content>" + String(repeating: "x", count: 2 << 20) + "</Content></xml>"
        #expect(throws: XMLError.tooLarge(bytes: (2 << 20) + 30, limit: 1 << 20)) { try parse(xml) }
    }

    @Test func limitsAreConfigurable() throws {
        let small = XMLReader(limits: .init(maxBytes: 10, maxDepth: 1, maxElements: 2))
        #expect(throws: XMLError.tooLarge(bytes: 11, limit: 10)) { try small.parse("<a>xxxx</a>") }
        #expect(throws: XMLError.tooDeep(limit: 1)) { try small.parse("<a><b/></a") }
        #expect(throws: XMLError.tooManyElements(limit: 2)) { try XMLReader(limits: .init(maxElements: 2)).parse("<a><b/><c/></a>") }
        #expect(try small.parse("<a>x</a>").text == "x")
    }

    @Test func rejectsInvalidUTF8() {
        let cases: [([UInt8], Int)] = [
            (Array("<xml>".utf8) + [0xFF] + Array("</xml>".utf8), 5),
            (Array("<xml>".utf8) + [0xC0, 0xAF] + Array("</xml>".utf8), 5),       // overlong
            (Array("<xml>".utf8) + [0xED, 0xA0, 0x80] + Array("</xml>".utf8), 5), // surrogate
            (Array("<xml>".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("</xml>".utf8), 5), // > U+10FFFF
            (Array("<xml>".utf8) + [0xF0, 0x9F, 0x98], 5),                        // truncated emoji
        ]
        for (bytes, offset) in cases {
            #expect(throws: XMLError.invalidUTF8(offset: offset)) { try reader.parse(bytes) }
        }
    }

    @Test func rejectsTruncatedAndMalformedDocuments() {
        #expect(throws: XMLError.unterminated("element <Content>")) { try parse("<xml><Content>abc") }
        #expect(throws: XMLError.unterminated("CDATA section")) { try parse("<xml><Content><![CDATA[abc") }
        #expect(throws: XMLError.unterminated("comment")) { try parse("<xml><!-- abc") }
        #expect(throws: XMLError.unterminated("tag")) { try parse("<xml><Conte") }
        #expect(throws: XMLError.malformed(offset: 0, reason: "no root element")) { try parse("") }
        #expect(throws: XMLError.malformed(offset: 8, reason: "end tag </b> does not match <a>")) { try parse("<xml><a></b></xml>") }
        #expect(throws: XMLError.malformed(offset: 6, reason: "content after the root element")) { try parse("<xml/><x/>") }
        #expect(throws: XMLError.malformed(offset: 8, reason: "'&' not starting a reference")) { try parse("<xml><a>& b</a></xml>") }
        #expect(throws: XMLError.malformed(offset: 8, reason: "invalid character reference &#xD800;")) { try parse("<xml><a>&#xD800;</a></xml>") }
    }

    /// Every prefix of a real message either parses or fails with a typed error (never traps).
    @Test func everyPrefixOfAMessageFailsCleanly() throws {
        let xml = Array("\u{FEFF}<?xml version=\"1.0\"?><xml a='1'><!--c--><ToUserName><![CDATA[ww]]></ToUserName><Content>a&amp;b&#x1F600;</Content><E/></xml>".utf8)
        for k in 0..<xml.count {
            #expect(throws: XMLError.self) { try reader.parse(Array(xml[0..<k])) }
        }
        #expect(try reader.parse(xml).children.count == 3)
    }

    @Test func envelopeParsesAndRequiresEncrypt() throws {
        let body = Array("<xml>\r\n<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\r\n<AgentID><![CDATA[218]]></AgentID>\r\n<Encrypt><![CDATA[abc+/=]]></Encrypt>\r\n</xml>".utf8)
        let envelope = try Envelope(parsing: body)
        #expect(envelope == Envelope(encrypt: "abc+/=", toUserName: "wx5823bf96d3bd56c7", agentID: "218"))
        let noAgent = try Envelope(parsing: Array("<xml><Encrypt>x</Encrypt><AgentId></AgentId></xml>".utf8))
        #expect(noAgent == Envelope(encrypt: "x"))
        #expect(throws: MessageError.missingField("Encrypt")) { try Envelope(parsing: Array("<xml><Encrypt></Encrypt></xml>".utf8)) }
    }
}
