import Foundation
import Testing
@testable import WeComCallback

/// The field view is built on first use: the same view as built eagerly, `event`/`eventKey` read the
/// same values without it, and value semantics stay.
@Suite struct FieldViewTests {
    func message(_ body: String) throws -> InboundMessage {
        try InboundMessage(xml: Array("<xml><ToUserName>ww</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>\(body)</xml>".utf8))
    }

    @Test func everyFixtureHasTheEagerView() throws {
        for name in InboundMessageTests.allFixtures {
            let parsed = try InboundMessage(xml: try Fixture.bytes("messages/\(name).xml"))
            let eager = InboundMessage.fieldView(of: parsed.root)
            #expect(parsed.event == eager["Event"]?.trimmingASCIIWhitespace(), "\(name)")
            #expect(parsed.eventKey == eager["EventKey"], "\(name)")
            #expect(parsed.fields == eager, "\(name)")
            #expect(!eager.isEmpty, "\(name)")
        }
    }

    @Test func eventIsReadLikeTheView() throws {
        let cases: [(String, String?, String?)] = [
            ("<MsgType>event</MsgType><Event> click </Event><EventKey> k </EventKey>", "click", " k "),
            ("<MsgType>text</MsgType><Content>hi</Content>", nil, nil),
            // Repeated: the view has Event/0 and Event/1, no Event (and the message has no event).
            ("<MsgType>text</MsgType><Content>c</Content><Event>a</Event><Event>b</Event><EventKey>1</EventKey><EventKey>2</EventKey>", nil, nil),
            // Not a leaf: the view has Event/Sub.
            ("<MsgType>text</MsgType><Content>c</Content><Event><Sub>a</Sub></Event><EventKey><![CDATA[]]></EventKey>", nil, ""),
            // Nested elsewhere: not at the root.
            ("<MsgType>text</MsgType><Content>c</Content><Info><Event>a</Event><EventKey>b</EventKey></Info>", nil, nil),
        ]
        for (body, event, eventKey) in cases {
            let parsed = try message(body)
            #expect(parsed.event == event, "\(body)")
            #expect(parsed.eventKey == eventKey, "\(body)")
            // The same before and after the view is built, and as the view says.
            _ = parsed.fields
            #expect(parsed.event == parsed.fields["Event"]?.trimmingASCIIWhitespace(), "\(body)")
            #expect(parsed.eventKey == parsed.fields["EventKey"], "\(body)")
        }
        #expect(try message("<MsgType>x</MsgType><Event>a</Event><Event>b</Event>").fields == [
            "ToUserName": "ww", "FromUserName": "u", "CreateTime": "1", "MsgType": "x", "Event/0": "a", "Event/1": "b",
        ])
    }

    @Test func settingFieldsReplacesTheViewOfThatCopyOnly() throws {
        let original = try message("<MsgType>event</MsgType><Event>click</Event><EventKey>k</EventKey>")
        var changed = original
        changed.fields["Event"] = "view"
        changed.fields["Extra"] = "1"
        #expect(changed.fields["Extra"] == "1")
        #expect(changed.event == "view")
        #expect(changed.eventKey == "k")
        #expect(original.fields["Extra"] == nil)
        #expect(original.event == "click")
        #expect(changed != original)
        changed.fields = [:]
        #expect(changed.event == nil)
        #expect(changed.eventKey == nil)
    }

    @Test func changingRootLaterDoesNotChangeTheView() throws {
        var parsed = try message("<MsgType>text</MsgType><Content>hi</Content>")
        parsed.root.children.append(XMLElement(name: "Event", text: "late"))
        #expect(parsed.fields["Content"] == "hi")
        #expect(parsed.fields["Event"] == nil)
        #expect(parsed.event == nil)
    }

    @Test func copiesOnManyThreadsBuildOneView() async throws {
        let parsed = try message("<MsgType>text</MsgType><Content>hi</Content><AgentId>7</AgentId>")
        let expected = InboundMessage.fieldView(of: parsed.root)
        #expect(expected["AgentID"] == "7")
        let views = await withTaskGroup(of: [String: String].self) { group in
            for _ in 0..<16 { group.addTask { parsed.fields } }
            return await group.reduce(into: [[String: String]]()) { $0.append($1) }
        }
        #expect(views.count == 16)
        #expect(views.allSatisfy { $0 == expected })
    }
}

/// `AgentID`/`AgentId` and `MsgId`/`MsgID`: the first spelling wins, errors name the canonical one.
@Suite struct MessageHeaderSpellingTests {
    func message(_ body: String) throws(MessageError) -> InboundMessage {
        try InboundMessage(xml: Array("<xml><ToUserName>ww</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>c</Content>\(body)</xml>".utf8))
    }

    @Test func variantsAreReadAndErrorsNameTheCanonicalField() throws {
        #expect(try message("<AgentId> 7 </AgentId><MsgID> 9 </MsgID>").agentID == 7)
        #expect(try message("<AgentId> 7 </AgentId><MsgID> 9 </MsgID>").msgID == "9")
        #expect(try message("<AgentId>7</AgentId><AgentID>8</AgentID><MsgID>9</MsgID><MsgId>10</MsgId>").agentID == 8)
        #expect(try message("<AgentId>7</AgentId><AgentID>8</AgentID><MsgID>9</MsgID><MsgId>10</MsgId>").msgID == "10")
        #expect(try message("<AgentID></AgentID><MsgId> </MsgId>").agentID == nil)
        #expect(try message("<AgentID></AgentID><MsgId> </MsgId>").msgID == nil)
        #expect(try message("").agentID == nil)
        #expect(throws: MessageError.invalidValue(field: "AgentID", value: "x")) { try message("<AgentId>x</AgentId>") }
        #expect(throws: MessageError.invalidValue(field: "AgentID", value: "y")) { try message("<AgentID>y</AgentID><AgentId>1</AgentId>") }
    }
}
