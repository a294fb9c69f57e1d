import Testing
@testable import WeComCallback

/// Error descriptions end up in log lines at info and error level: they must never carry message
/// content, and what they quote from unauthenticated input must be short, printable, one-line text.
@Suite struct ErrorTextTests {
    func parseError(_ xml: String) -> String {
        do {
            _ = try InboundMessage(xml: Array(xml.utf8))
            return ""
        } catch {
            return error.description
        }
    }

    static func isPrintableLine(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: return false
            default: return true
            }
        }
    }

    @Test func anInvalidNumberIsDescribedByItsLengthNotItsValue() {
        let text = parseError("<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>SECRET-CONTENT</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>")
        #expect(text == "field CreateTime is not a valid number (14 bytes)")
        let huge = parseError("<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>99999999999999999999999</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>")
        #expect(huge == "field CreateTime is not a valid number (23 bytes)")
        // The value stays in the enum for tests and debugging.
        #expect(MessageError.invalidValue(field: "AgentID", value: "x").description == "field AgentID is not a valid number (1 bytes)")
    }

    @Test func elementNamesInXMLErrorsAreCappedAndEscaped() throws {
        let name = "\u{1B}[31m" + String(repeating: "A", count: 500) + "\u{7F}"
        let unterminated = parseError("<xml><\(name) a=\"1\"")
        #expect(Self.isPrintableLine(unterminated))
        #expect(unterminated.hasPrefix("XML: document ends inside start tag <\\u{1B}[31mAAA"))
        #expect(unterminated.hasSuffix("A…>"))
        #expect(unterminated.count < 120)

        let mismatch = parseError("<xml><a\u{85}b\u{1B}>x</\(name)></xml>")
        #expect(Self.isPrintableLine(mismatch))
        #expect(mismatch.contains("does not match <a\\u{85}b\\u{1B}>"))
        #expect(mismatch.count < 200)

        let open = parseError("<xml><a\u{7}b>text")
        #expect(open == "XML: document ends inside element <a\\u{7}b>")
    }

    @Test func entityNamesAreEscaped() {
        let text = parseError("<xml><a>&x\u{1B}\u{2028}y;</a></xml>")
        #expect(text == "XML: entity 'x\\u{1B}\\u{2028}y' is forbidden (at byte 8)")
    }

    @Test func printableKeepsOrdinaryTextAsItIs() {
        #expect(XMLError.printable("FromUserName") == "FromUserName")
        #expect(XMLError.printable("中文名") == "中文名")
        #expect(XMLError.printable(String(repeating: "x", count: 65)) == String(repeating: "x", count: 64) + "…")
    }
}
