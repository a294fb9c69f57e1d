import Foundation
import Testing
@testable import WeComCallback

@Suite struct RoutingConditionTests {
    func route(_ conditions: RouteConditions) -> MessagePipeline {
        RT.processor([Route(index: 0, conditions: conditions, action: .text(try! MessageTemplate("hit")))])
    }
    let hit = RT.expected(.text("hit"))

    @Test func noConditionMatchesEverything() {
        #expect(RT.run(route(RouteConditions()), RT.text("x")) == hit)
        #expect(RT.run(route(RouteConditions()), RT.event("enter_agent")) == hit)
    }

    @Test func msgTypeIsExact() {
        let p = route(RouteConditions(msgType: "text"))
        #expect(RT.run(p, RT.text("x")) == hit)
        #expect(RT.run(p, RT.event("click", "<EventKey>k</EventKey>")) == .noReply)
    }

    @Test func eventIgnoresCase() {
        let p = route(RouteConditions(event: "location"))
        #expect(RT.run(p, RT.event("LOCATION", "<Latitude>1</Latitude><Longitude>2</Longitude><Precision>3</Precision>")) == hit)
        #expect(RT.run(p, RT.event("click", "<EventKey>k</EventKey>")) == .noReply)
        #expect(RT.run(p, RT.text("location")) == .noReply)
    }

    @Test func eventKeyIsExact() {
        let p = route(RouteConditions(eventKey: "MENU_A"))
        #expect(RT.run(p, RT.event("click", "<EventKey><![CDATA[MENU_A]]></EventKey>")) == hit)
        #expect(RT.run(p, RT.event("click", "<EventKey><![CDATA[menu_a]]></EventKey>")) == .noReply)
    }

    @Test func eventKeyRegexSearches() throws {
        let p = route(RouteConditions(eventKeyRegex: try RoutePattern("^approve_[0-9]+$")))
        #expect(RT.run(p, RT.event("click", "<EventKey>approve_42</EventKey>")) == hit)
        #expect(RT.run(p, RT.event("click", "<EventKey>reject_42</EventKey>")) == .noReply)
        #expect(RT.run(p, RT.event("enter_agent")) == .noReply)
    }

    @Test func changeTypeIsExact() {
        let p = route(RouteConditions(changeType: "create_user"))
        #expect(RT.run(p, RT.event("change_contact", "<ChangeType>create_user</ChangeType><UserID>u1</UserID>", from: "sys")) == RT.expected(.text("hit"), to: "sys"))
        #expect(RT.run(p, RT.event("change_contact", "<ChangeType>delete_user</ChangeType><UserID>u1</UserID>", from: "sys")) == .noReply)
    }

    @Test func contentRegexSearchesTextOnly() throws {
        let p = route(RouteConditions(contentRegex: try RoutePattern("帮助|help")))
        #expect(RT.run(p, RT.text("please help me")) == hit)
        #expect(RT.run(p, RT.text("需要帮助")) == hit)
        #expect(RT.run(p, RT.text("hello")) == .noReply)
        #expect(RT.run(p, RT.xml("link", "<Title>help</Title><Description>d</Description><Url>u</Url><PicUrl>p</PicUrl>")) == .noReply)
        let anchored = route(RouteConditions(contentRegex: try RoutePattern("^help$")))
        #expect(RT.run(anchored, RT.text("please help me")) == .noReply)
    }

    @Test func fromUserIsAList() {
        let p = route(RouteConditions(fromUser: ["alice", "bob"]))
        #expect(RT.run(p, RT.text("x", from: "bob")) == RT.expected(.text("hit"), to: "bob"))
        #expect(RT.run(p, RT.text("x", from: "carol")) == .noReply)
    }

    @Test func agentIDCondition() {
        let p = route(RouteConditions(agentID: 1000002))
        #expect(RT.run(p, RT.text("x")) == hit)
        #expect(RT.run(p, RT.event("batch_job_result", "<BatchJob><JobId>j</JobId><JobType>sync_user</JobType><ErrCode>0</ErrCode><ErrMsg>ok</ErrMsg></BatchJob>", agentID: nil)) == .noReply)
    }

    @Test func allGivenConditionsMustHold() throws {
        let p = route(RouteConditions(msgType: "text", contentRegex: try RoutePattern("^a"), fromUser: ["zhangsan"]))
        #expect(RT.run(p, RT.text("abc")) == hit)
        #expect(RT.run(p, RT.text("abc", from: "lisi")) == .noReply)
    }

    @Test func firstMatchingRouteWinsAndNoneMeansNoReply() throws {
        let p = RT.processor([
            Route(index: 0, conditions: RouteConditions(msgType: "image"), action: .text(try MessageTemplate("first"))),
            Route(index: 1, conditions: RouteConditions(msgType: "text"), action: .text(try MessageTemplate("second"))),
            Route(index: 2, conditions: RouteConditions(msgType: "text"), action: .text(try MessageTemplate("third"))),
        ])
        #expect(RT.run(p, RT.text("x")) == RT.expected(.text("second")))
        #expect(RT.run(p, RT.event("click", "<EventKey>k</EventKey>")) == .noReply)
    }
}

@Suite struct RoutingActionTests {
    func one(_ action: some Action) -> MessagePipeline { RT.processor([Route(index: 0, action: action)]) }

    @Test func echoRepliesPerType() {
        let p = one(.echo)
        #expect(RT.run(p, RT.xml("text", "<Content>你好 ]]&gt; &lt;&amp;</Content>")) == RT.expected(.text("你好 ]]> <&")))
        #expect(RT.run(p, RT.xml("image", "<PicUrl>http://p</PicUrl><MediaId>M1</MediaId>")) == RT.expected(.image(mediaID: "M1")))
        #expect(RT.run(p, RT.xml("voice", "<MediaId>V1</MediaId><Format>amr</Format>")) == RT.expected(.voice(mediaID: "V1")))
        #expect(RT.run(p, RT.xml("video", "<MediaId>D1</MediaId><ThumbMediaId>T</ThumbMediaId>")) == RT.expected(.video(mediaID: "D1", title: nil, description: nil)))
        #expect(RT.run(p, RT.xml("location", "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Scale>15</Scale><Label><![CDATA[广州]]></Label>")) == RT.expected(.text("广州 (23.1, 113.3)")))
        #expect(RT.run(p, RT.xml("link", "<Title>T</Title><Description>D</Description><Url>https://u</Url><PicUrl>p</PicUrl>")) == RT.expected(.text("T\nhttps://u")))
        #expect(RT.run(p, RT.event("enter_agent")) == .noReply)
    }

    @Test func textTemplateUsesFieldPathsWithoutEscaping() throws {
        let p = one(.text(try MessageTemplate("Hi {{FromUserName}}: {{Content}} @ {{SendLocationInfo/Label}}{{Missing}}")))
        #expect(RT.run(p, RT.text("<b>&")) == RT.expected(.text("Hi zhangsan: <b>& @ ")))
        let loc = RT.event("location_select", "<EventKey>k</EventKey><SendLocationInfo><Location_X>1</Location_X><Location_Y>2</Location_Y><Scale>3</Scale><Label><![CDATA[A & B]]></Label><Poiname></Poiname></SendLocationInfo>")
        #expect(RT.run(p, loc) == RT.expected(.text("Hi zhangsan:  @ A & B")))
    }

    @Test func templateReachesListItemsAndSections() throws {
        let t = try MessageTemplate("{{SendPicsInfo/Count}}:{{SendPicsInfo/PicList/item/1/PicMd5Sum}}{{#SendPicsInfo}}!{{/SendPicsInfo}}")
        let fields = ["SendPicsInfo/Count": "2", "SendPicsInfo/PicList/item/0/PicMd5Sum": "aa", "SendPicsInfo/PicList/item/1/PicMd5Sum": "bb"]
        #expect(t.render(fields) == "2:bb!")
        #expect(MessageTemplate.rewritingSlashes("{{#A/B}}{{/A/B}}{{! a/b }}") == "{{#A.B}}{{/A.B}}{{! a/b }}")
    }

    @Test func aNameThatIsNotALeafRendersEmptyButItsChildrenAndSectionsStillResolve() throws {
        // A repeated element's paths are Event/0, Event/1: {{Event}} is not a field (it once printed a
        // Swift dictionary, in a different order from run to run).
        let fields = ["Event/0": "click", "Event/1": "view", "SendLocationInfo/Label": "A", "MsgType": "event"]
        let t = try MessageTemplate("[{{Event}}][{{{Event}}}][{{Event/1}}][{{SendLocationInfo}}]{{#SendLocationInfo}}<{{Label}}>{{/SendLocationInfo}}{{^Event}}none{{/Event}}")
        #expect(t.render(fields) == "[][][view][]<A>")
        let p = one(.text(try MessageTemplate("{{Event}}|{{Event/0}}|{{MsgType}}")))
        #expect(RT.run(p, RT.xml("event", "<Event>click</Event><Event>view</Event><EventKey>k</EventKey>")) == RT.expected(.text("|click|event")))
    }

    @Test func templateSyntaxErrorsAreReported() {
        #expect(throws: MessageTemplate.ParseError.self) { try MessageTemplate("{{#a}}x") }
        #expect(throws: MessageTemplate.ParseError.self) { try MessageTemplate("{{Content}") }
    }

    @Test func mediaActions() throws {
        #expect(RT.run(one(.image(mediaID: try MessageTemplate("IMG"))), RT.text("x")) == RT.expected(.image(mediaID: "IMG")))
        #expect(RT.run(one(.voice(mediaID: try MessageTemplate("VOI"))), RT.text("x")) == RT.expected(.voice(mediaID: "VOI")))
        let video = VideoAction(mediaID: try MessageTemplate("VID"), title: try MessageTemplate("For {{FromUserName}}"), description: nil)
        #expect(RT.run(one(video), RT.text("x")) == RT.expected(.video(mediaID: "VID", title: "For zhangsan", description: nil)))
    }

    @Test func newsAction() throws {
        let article = NewsArticleTemplate(title: try MessageTemplate("Welcome {{FromUserName}}"), description: try MessageTemplate("d"),
                                          url: try MessageTemplate("https://e/{{FromUserName}}"), picURL: nil)
        let expected = PassiveReply.news(try NewsArticles([NewsArticle(title: "Welcome zhangsan", description: "d", url: "https://e/zhangsan", picURL: nil)]))
        #expect(RT.run(one(.news([article])), RT.event("enter_agent")) == RT.expected(expected))
    }

    @Test func updateButtonAndIgnore() throws {
        #expect(RT.run(one(.updateButton(replaceName: try MessageTemplate("已处理"))), RT.event("template_card_event", "<EventKey>b</EventKey><TaskId>t</TaskId><CardType>button_interaction</CardType><ResponseCode>r</ResponseCode>"))
            == RT.expected(.updateButton(replaceName: "已处理")))
        #expect(RT.run(one(.ignore), RT.text("x")) == .noReply)
    }

    @Test func agentIDMismatchIsForbiddenButSystemEventsPass() {
        let p = RT.processor([Route(index: 0, action: .echo)], agentID: 1000002)
        #expect(RT.run(RT.processor([Route(index: 0, action: .echo)], agentID: 5), RT.text("x")) == .forbidden("AgentID 1000002 is not this app's (5)"))
        #expect(RT.run(p, RT.text("x")) == RT.expected(.text("x")))
        #expect(RT.run(RT.processor([Route(index: 0, action: .ignore)], agentID: 5), RT.event("change_contact", "<ChangeType>delete_user</ChangeType><UserID>u</UserID>", agentID: nil)) == .noReply)
    }

    @Test func unparseableMessageFailsAndSummaryNamesTheEvent() {
        let p = one(.echo)
        guard case .failed(let why) = p.process(Array("<xml><nope".utf8), context: RT.context).disposition else {
            Issue.record("expected failure")
            return
        }
        #expect(why.hasPrefix("message parse failed"))
        let outcome = p.process(RT.event("click", "<EventKey>k</EventKey>"), context: RT.context)
        #expect(outcome.summary == "event/click")
        let text = p.process(RT.text("x"), context: RT.context)
        #expect(text.summary == "text")
        #expect(text.msgID == "7000000000000000001")
    }

    @Test func journalAppendsOneLinePerMessage() throws {
        let dir = try RT.temporaryDirectory()
        let path = dir.appendingPathComponent("j.jsonl").path
        let journal = try Journal(path: path)
        let p = RT.processor([Route(index: 0, conditions: RouteConditions(msgType: "text"), action: .echo)], journal: journal)
        _ = RT.run(p, RT.text("a\"b"))
        _ = RT.run(p, RT.event("enter_agent"))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix(#"{"received_at":"2023-11-14T22:13:20.000Z","app":"helpdesk","route":0,"message":{"AgentID":"1000002","Content":"a\"b","#))
        #expect(lines[1].contains(#""route":null,"message":{"AgentID":"1000002","CreateTime":"1700000000","Event":"enter_agent""#))
        // Rotation: move the file away, reopen, keep writing to the new one.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try journal.reopen()
        _ = RT.run(p, RT.text("c"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 1)
        #expect(journal.failureCount == 0)
    }

    @Test func journalFailureStillReplies() throws {
        let dir = try RT.temporaryDirectory()
        let path = dir.appendingPathComponent("j.jsonl").path
        let journal = try Journal(path: path)
        try FileManager.default.removeItem(at: dir)  // reopen on the next append will fail
        try? journal.reopen()
        let p = RT.processor([Route(index: 0, action: .echo)], journal: journal)
        #expect(RT.run(p, RT.text("still")) == RT.expected(.text("still")))
        #expect(journal.failureCount == 1)
    }
}
