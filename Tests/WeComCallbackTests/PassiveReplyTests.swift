import Foundation
import Testing
@testable import WeComCallback

@Suite struct PassiveReplyTests {
    static var card: [String: Any] { [
        "card_type": "button_interaction",
        "source": ["icon_url": "https://example.com/i.png", "desc": "企业微信", "desc_color": 1],
        "main_title": ["title": "审批 <1> & ]]>", "desc": "👍"],
        "button_list": [["text": "同意", "style": 1, "key": "yes"], ["text": "拒绝", "style": 2, "key": "no"]],
        "task_id": "task_1",
        "replace_text": NSNull(),
    ] }

    /// Name → (reply, expected body after the common header).
    static let cases: [(String, PassiveReply)] = {
        var list: [(String, PassiveReply)] = [
            ("text", .text("你好 👍😀 a]]>b <tag> & \u{10}end")),
            ("image", .image(mediaID: "media_image_1")),
            ("voice", .voice(mediaID: "media_voice_1")),
            ("video", .video(mediaID: "media_video_1", title: "标题 <&>", description: "描述]]>")),
            ("video_no_title", .video(mediaID: "media_video_1", title: nil, description: nil)),
            ("update_button", .updateButton(replaceName: "已处理")),
            ("update_taskcard", .updateTaskcard(replaceName: "已完成")),
            ("text_truncated", .text(String(repeating: "中", count: 700))),
        ]
        if let news = try? NewsArticles([
            NewsArticle(title: "标题一 & <x>", description: "描述 👍", url: "https://a.example/?a=1&b=2", picURL: "https://a.example/p.png"),
            NewsArticle(title: "二"),
        ]) { list.append(("news", .news(news))) }
        if let card = try? TemplateCard(json: card) { list.append(("update_template_card", .updateTemplateCard(card))) }
        return list
    }()

    func render(_ reply: PassiveReply) -> String {
        reply.renderXML(toUser: "zhangsan", fromUser: "wx5823bf96d3bd56c7", createTime: 1_700_000_010)
    }

    @Test func textReplyReproducesVectorGen10() {
        #expect(PassiveReply.text("已收到：你好 👍 (reply)").renderXML(toUser: "zhangsan", fromUser: "wx5823bf96d3bd56c7", createTime: 1_700_000_010)
            == "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA[wx5823bf96d3bd56c7]]></FromUserName><CreateTime>1700000010</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[已收到：你好 👍 (reply)]]></Content></xml>")
    }

    @Test func everyReplyTypeRendersByteExact() throws {
        let header = "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA[wx5823bf96d3bd56c7]]></FromUserName><CreateTime>1700000010</CreateTime>"
        let expected: [String: String] = [
            "text": "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 👍😀 a]]]]><![CDATA[>b <tag> & end]]></Content></xml>",
            "image": "<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[media_image_1]]></MediaId></Image></xml>",
            "voice": "<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[media_voice_1]]></MediaId></Voice></xml>",
            "video": "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[media_video_1]]></MediaId><Title><![CDATA[标题 <&>]]></Title><Description><![CDATA[描述]]]]><![CDATA[>]]></Description></Video></xml>",
            "video_no_title": "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[media_video_1]]></MediaId></Video></xml>",
            "update_button": "<MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已处理]]></ReplaceName></Button></xml>",
            "update_taskcard": "<MsgType><![CDATA[update_taskcard]]></MsgType><TaskCard><ReplaceName><![CDATA[已完成]]></ReplaceName></TaskCard></xml>",
            "text_truncated": "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + String(repeating: "中", count: 682) + "]]></Content></xml>",
            "news": "<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles><item><Title><![CDATA[标题一 & <x>]]></Title><Description><![CDATA[描述 👍]]></Description><PicUrl><![CDATA[https://a.example/p.png]]></PicUrl><Url><![CDATA[https://a.example/?a=1&b=2]]></Url></item><item><Title><![CDATA[二]]></Title></item></Articles></xml>",
            "update_template_card": "<MsgType><![CDATA[update_template_card]]></MsgType><TemplateCard><CardType><![CDATA[button_interaction]]></CardType><ButtonList><Key><![CDATA[yes]]></Key><Style>1</Style><Text><![CDATA[同意]]></Text></ButtonList><ButtonList><Key><![CDATA[no]]></Key><Style>2</Style><Text><![CDATA[拒绝]]></Text></ButtonList><MainTitle><Desc><![CDATA[👍]]></Desc><Title><![CDATA[审批 <1> & ]]]]><![CDATA[>]]></Title></MainTitle><Source><Desc><![CDATA[企业微信]]></Desc><DescColor>1</DescColor><IconUrl><![CDATA[https://example.com/i.png]]></IconUrl></Source><TaskId><![CDATA[task_1]]></TaskId></TemplateCard></xml>",
        ]
        #expect(Self.cases.count == expected.count)
        for (name, reply) in Self.cases {
            let xml = render(reply)
            #expect(xml == header + (expected[name] ?? "?"), "\(name)")
            // The committed fixture (also checked by Tests/Python/test_reply_xml.py) has these exact bytes.
            let fixture = try Fixture.bytes("replies/\(name).xml")
            #expect(fixture == Array(xml.utf8), "fixture replies/\(name).xml")
            // And our own reader reads it back.
            #expect(throws: Never.self) { try XMLReader().parse(xml) }
        }
    }

    @Test func truncationCutsAtCharacterBoundaries() {
        #expect(XMLText.truncatedUTF8(String(repeating: "中", count: 700), maxBytes: 2048).utf8.count == 2046)
        #expect(XMLText.truncatedUTF8("a😀", maxBytes: 4) == "a")
        #expect(XMLText.truncatedUTF8("a😀", maxBytes: 5) == "a😀")
        #expect(XMLText.truncatedUTF8("abc", maxBytes: 0) == "")
        let title = String(repeating: "é", count: 100) // 200 bytes
        let xml = PassiveReply.video(mediaID: "m", title: title, description: String(repeating: "👍", count: 200)).renderXML(toUser: "u", fromUser: "c", createTime: 1)
        #expect(xml.contains("<Title><![CDATA[" + String(repeating: "é", count: 64) + "]]></Title>"))
        #expect(xml.contains("<Description><![CDATA[" + String(repeating: "👍", count: 128) + "]]></Description>"))
    }

    @Test func illegalCharactersNeverReachTheOutput() {
        let xml = PassiveReply.text("a\u{0}\u{1}\u{10}\u{1D}\u{FFFE}b").renderXML(toUser: "u\u{1}", fromUser: "c", createTime: 1)
        #expect(xml.contains("<Content><![CDATA[ab]]></Content>"))
        #expect(xml.contains("<ToUserName><![CDATA[u]]></ToUserName>"))
    }

    @Test func newsNeedsOneToEightArticles() throws {
        #expect(throws: ReplyError.articleCount(0)) { try NewsArticles([]) }
        #expect(throws: ReplyError.articleCount(9)) { try NewsArticles(Array(repeating: NewsArticle(title: "t"), count: 9)) }
        #expect(try NewsArticles(Array(repeating: NewsArticle(title: "t"), count: 8)).articles.count == 8)
    }

    func parse(_ json: String) throws(ReplyError) -> ParsedReply { try ParsedReply(json: Array(json.utf8)) }

    @Test func jsonRepliesParse() throws {
        #expect(try parse(#"{"MsgType":"text","Content":"你好 👍"}"#) == .passive(.text("你好 👍")))
        #expect(try parse(#"{"MsgType":"image","MediaId":"m"}"#) == .passive(.image(mediaID: "m")))
        #expect(try parse(#"{"MsgType":"voice","MediaId":"m"}"#) == .passive(.voice(mediaID: "m")))
        #expect(try parse(#"{"MsgType":"video","MediaId":"m","Title":"t"}"#) == .passive(.video(mediaID: "m", title: "t", description: nil)))
        #expect(try parse(#"{"MsgType":"news","Articles":[{"Title":"a","Url":"u"}]}"#)
            == .passive(.news(try NewsArticles([NewsArticle(title: "a", url: "u")]))))
        #expect(try parse(#"{"MsgType":"update_button","ReplaceName":"已处理"}"#) == .passive(.updateButton(replaceName: "已处理")))
        #expect(try parse(#"{"MsgType":"update_taskcard","ReplaceName":"x"}"#) == .passive(.updateTaskcard(replaceName: "x")))
        let card = try parse(#"{"MsgType":"update_template_card","TemplateCard":{"task_id":"t","card_type":"text_notice","jump_list":[{"type":1,"title":"a"}],"main_title":{"title":"T"},"ok":true}}"#)
        #expect(card == .passive(.updateTemplateCard(TemplateCard(elements: [
            .init(name: "CardType", value: .text("text_notice")),
            .init(name: "JumpList", value: .children([.init(name: "Title", value: .text("a")), .init(name: "Type", value: .bare("1"))])),
            .init(name: "MainTitle", value: .children([.init(name: "Title", value: .text("T"))])),
            .init(name: "Ok", value: .bare("true")),
            .init(name: "TaskId", value: .text("t")),
        ]))))
        #expect(try parse(#"{"MsgType":"markdown","markdown":{"content":"**hi**"},"n":1,"b":false}"#)
            == .activeOnly(ActiveOnlyReply(msgType: "markdown", json: #"{"MsgType":"markdown","b":false,"markdown":{"content":"**hi**"},"n":1}"#)))
    }

    @Test func jsonRepliesAreValidated() {
        #expect(throws: ReplyError.invalidJSON("not parseable")) { try parse("{") }
        #expect(throws: ReplyError.notAnObject("")) { try parse("[]") }
        #expect(throws: ReplyError.notAnObject("")) { try parse("\"text\"") }
        #expect(throws: ReplyError.missingField("MsgType")) { try parse("{}") }
        #expect(throws: ReplyError.unknownType("music2")) { try parse(#"{"MsgType":"music2"}"#) }
        #expect(throws: ReplyError.missingField("Content")) { try parse(#"{"MsgType":"text"}"#) }
        #expect(throws: ReplyError.wrongType(field: "Content", expected: "a string")) { try parse(#"{"MsgType":"text","Content":1}"#) }
        #expect(throws: ReplyError.articleCount(0)) { try parse(#"{"MsgType":"news","Articles":[]}"#) }
        let nine = Array(repeating: #"{"Title":"t"}"#, count: 9).joined(separator: ",")
        #expect(throws: ReplyError.articleCount(9)) { try parse(#"{"MsgType":"news","Articles":[\#(nine)]}"#) }
        #expect(throws: ReplyError.missingField("Articles/1/Title")) { try parse(#"{"MsgType":"news","Articles":[{"Title":"a"},{"Url":"u"}]}"#) }
        #expect(throws: ReplyError.notAnObject("TemplateCard")) { try parse(#"{"MsgType":"update_template_card","TemplateCard":[]}"#) }
    }

    @Test func echoRepliesMirrorTheMessage() throws {
        func echo(_ name: String) throws -> PassiveReply? {
            PassiveReply.echo(for: try InboundMessage(xml: try Fixture.bytes("messages/\(name).xml")))
        }
        #expect(try echo("text") == .text("你好 👍 <b>&amp;</b>"))
        #expect(try echo("image") == .image(mediaID: "media_image_1"))
        #expect(try echo("voice") == .voice(mediaID: "media_voice_1"))
        #expect(try echo("video") == .video(mediaID: "media_video_1", title: nil, description: nil))
        #expect(try echo("location") == .text("广州市海珠区新港中路397号 (23.134521, 113.358803)"))
        #expect(try echo("link") == .text("标题\nhttps://example.com/a?b=1&c=2"))
        #expect(try echo("event_click") == nil)
        #expect(try echo("unknown_msgtype") == nil)
    }

    /// Rough timings for the report (no assertions): parse of a ~400-byte text message, render of a text reply.
    @Test func measureParseAndRender() throws {
        let xml = Array("<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<FromUserName><![CDATA[zhangsan]]></FromUserName>\n<CreateTime>1700000001</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[你好，企业微信！收到请回复 👍😀 这是一条用于测量解析速度的消息，长度大约四百字节。Hello WeCom, this is a benchmark text message.]]></Content>\n<MsgId>7300000000000000001</MsgId>\n<AgentID>1000002</AgentID>\n</xml>".utf8)
        let n = 20_000
        var sink = 0
        let clock = ContinuousClock()
        let parseTime = try clock.measure {
            for _ in 0..<n { sink &+= try XMLReader().parse(xml).children.count }
        }
        let messageTime = try clock.measure {
            for _ in 0..<n { sink &+= try InboundMessage(xml: xml).fields.count }
        }
        let reply = PassiveReply.text("已收到：你好 👍 (reply)")
        let renderTime = clock.measure {
            for _ in 0..<n { sink &+= reply.renderXML(toUser: "zhangsan", fromUser: "ww1436e0e65a779aee", createTime: 1_700_000_010).utf8.count }
        }
        func ns(_ d: Duration) -> Int64 { (d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000) / Int64(n) }
        print("TIMING bytes=\(xml.count) xmlParse=\(ns(parseTime))ns messageParse=\(ns(messageTime))ns textRender=\(ns(renderTime))ns sink=\(sink)")
    }
}
