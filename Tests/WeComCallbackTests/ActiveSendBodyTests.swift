import Foundation
import Testing
@testable import WeComCallback

/// `message/send` bodies and the UTF-8 text split, without a server.
@Suite struct ActiveSendBodyTests {
    static let tail = #""touser":"lisi"}"#

    func bodies(_ content: ActiveContent, interval: Int? = 1800) throws -> [String] {
        try ActiveMessage(toUser: "lisi", agentID: 7, content: content).sendAPIBodies(duplicateCheckInterval: interval)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    func activeOnly(_ json: String) throws -> ActiveContent {
        guard case .activeOnly(let reply) = try ParsedReply(json: Array(json.utf8)) else { throw ReplyError.unknownType("passive") }
        return .activeOnly(reply)
    }

    @Test func passiveRepliesMapToTheSendAPIShape() throws {
        #expect(try bodies(.reply(.image(mediaID: "MEDIA")), interval: nil) == [#"{"agentid":7,"image":{"media_id":"MEDIA"},"msgtype":"image","touser":"lisi"}"#])
        #expect(try bodies(.reply(.voice(mediaID: "V")), interval: nil) == [#"{"agentid":7,"msgtype":"voice","touser":"lisi","voice":{"media_id":"V"}}"#])
        #expect(try bodies(.reply(.video(mediaID: "M", title: "T", description: nil)), interval: nil)
            == [#"{"agentid":7,"msgtype":"video","touser":"lisi","video":{"media_id":"M","title":"T"}}"#])
        let news = try NewsArticles([NewsArticle(title: "A", description: "d", url: "https://e.com/x?a=1&b=2", picURL: "https://e.com/p.png"),
                                     NewsArticle(title: "B")])
        #expect(try bodies(.reply(.news(news)), interval: nil) == [
            #"{"agentid":7,"msgtype":"news","news":{"articles":[{"description":"d","picurl":"https://e.com/p.png","title":"A","url":"https://e.com/x?a=1&b=2"},{"title":"B"}]},"touser":"lisi"}"#,
        ])
    }

    @Test func duplicateCheckKeys() throws {
        #expect(try bodies(.reply(.text("x")), interval: 600) == [
            #"{"agentid":7,"duplicate_check_interval":600,"enable_duplicate_check":1,"msgtype":"text","text":{"content":"x"},"touser":"lisi"}"#,
        ])
    }

    @Test func activeOnlyKeysAreLowerCased() throws {
        #expect(try bodies(activeOnly(#"{"MsgType":"textcard","Title":"T","Description":"<div>d</div>","Url":"https://e.com","BtnTxt":"More"}"#), interval: nil) == [
            #"{"agentid":7,"msgtype":"textcard","textcard":{"btntxt":"More","description":"<div>d</div>","title":"T","url":"https://e.com"},"touser":"lisi"}"#,
        ])
        #expect(try bodies(activeOnly(#"{"MsgType":"file","MediaId":"F"}"#), interval: nil) == [
            #"{"agentid":7,"file":{"media_id":"F"},"msgtype":"file","touser":"lisi"}"#,
        ])
    }

    @Test func templateCardIsPassedThroughUnchanged() throws {
        let json = #"{"MsgType":"template_card","TemplateCard":{"card_type":"text_notice","main_title":{"title":"Hi"},"card_action":{"type":1,"url":"https://e.com"}}}"#
        #expect(try bodies(activeOnly(json), interval: nil) == [
            #"{"agentid":7,"msgtype":"template_card","template_card":{"card_action":{"type":1,"url":"https://e.com"},"card_type":"text_notice","main_title":{"title":"Hi"}},"touser":"lisi"}"#,
        ])
    }

    @Test func passiveOnlyAndUnsupportedTypesAreRefused() throws {
        #expect(throws: ActiveSendError.passiveOnly(msgType: "update_taskcard")) { try bodies(.reply(.updateTaskcard(replaceName: "x"))) }
        #expect(throws: ActiveSendError.passiveOnly(msgType: "update_template_card")) {
            try bodies(.reply(.updateTemplateCard(TemplateCard(elements: []))))
        }
        #expect(throws: ActiveSendError.unsupported(msgType: "music")) { try bodies(.activeOnly(ActiveOnlyReply(msgType: "music", json: "{}"))) }
        #expect(throws: ActiveSendError.invalidReply("not a JSON object")) { try bodies(.activeOnly(ActiveOnlyReply(msgType: "markdown", json: "[1]"))) }
    }

    // MARK: Split

    @Test func shortTextIsOnePiece() {
        #expect(UTF8TextSplitter.split("") == [""])
        #expect(UTF8TextSplitter.split(String(repeating: "a", count: 2048)) == [String(repeating: "a", count: 2048)])
    }

    @Test func splitNeverCutsACharacter() {
        // 4-byte emoji and a 2-scalar flag (8 bytes): pieces end on character boundaries.
        let text = String(repeating: "a😀🇨🇳", count: 200)  // 13 bytes per round, 2600 bytes
        let pieces = UTF8TextSplitter.split(text, maxBytes: 2048)
        #expect(pieces.count == 2)
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { $0.utf8.count <= 2048 })
        #expect(pieces[0].utf8.count == 2046)  // 157 rounds + "a😀"; the 8-byte flag would not fit
        #expect(pieces[0].hasSuffix("a😀"))
        #expect(pieces[1].hasPrefix("🇨🇳"))
    }

    @Test func splitPrefersALineBreakNearTheEnd() {
        let line = String(repeating: "x", count: 99) + "\n"  // 100 bytes
        let text = String(repeating: line, count: 30)  // 3000 bytes
        let pieces = UTF8TextSplitter.split(text, maxBytes: 2048)
        #expect(pieces.map(\.utf8.count) == [2000, 1000])
        #expect(pieces[0].hasSuffix("\n"))
        // A break further back than the window is ignored.
        let far = "head\n" + String(repeating: "y", count: 3000)
        #expect(UTF8TextSplitter.split(far, maxBytes: 2048).map(\.utf8.count) == [2048, 957])
    }

    @Test func oversizedGraphemeIsCutBetweenScalars() {
        let text = "e" + String(repeating: "\u{301}", count: 1500)  // one Character, 3001 bytes
        let pieces = UTF8TextSplitter.split(text, maxBytes: 2048)
        #expect(pieces.joined() == text)
        #expect(pieces.map(\.utf8.count) == [2047, 954])
    }

    @Test func tinyLimitsStillMakeProgress() {
        let text = "中文\r\nab"
        let pieces = UTF8TextSplitter.split(text, maxBytes: 4, newlineWindow: 200)
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { $0.utf8.count <= 4 && !$0.isEmpty })
    }
}
