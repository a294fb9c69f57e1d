import Foundation
import Testing
@testable import WeComCallback

@Suite struct InboundMessageTests {
    static let expected: [String: MessagePayload] = [
        "text": .text(content: "你好 👍 <b>&amp;</b>"),
        "image": .image(picURL: "https://wework.qpic.cn/wwpic/1/0", mediaID: "media_image_1"),
        "voice": .voice(mediaID: "media_voice_1", format: "amr"),
        "video": .video(mediaID: "media_video_1", thumbMediaID: "media_thumb_1"),
        "location": .location(latitude: 23.134521, longitude: 113.358803, scale: 20, label: "广州市海珠区新港中路397号", appType: "wxwork"),
        "link": .link(title: "标题", description: "描述", url: "https://example.com/a?b=1&c=2", picURL: "https://example.com/p.png"),
        "event_subscribe": .event(.subscribe),
        "event_unsubscribe": .event(.unsubscribe),
        "event_enter_agent": .event(.enterAgent),
        "event_LOCATION": .event(.location(latitude: 23.104105, longitude: 113.320107, precision: 65, appType: "wxwork")),
        "event_batch_job_result": .event(.batchJobResult(BatchJob(
            jobID: "S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4", jobType: "sync_user", errCode: 0, errMsg: "ok"))),
        "event_change_contact_update_user": .event(.changeContact(.updateUser({
            var user = ContactChange.User(userID: "zhangsan")
            user.newUserID = "zhangsan001"
            user.status = 4
            return user
        }()))),
        "event_change_contact_delete_user": .event(.changeContact(.deleteUser(userID: "zhangsan"))),
        "event_change_contact_create_party": .event(.changeContact(.createParty(.init(id: 2, name: "张三", parentID: 1, order: 1)))),
        "event_change_contact_update_party": .event(.changeContact(.updateParty(.init(id: 2, name: "李四")))),
        "event_change_contact_delete_party": .event(.changeContact(.deleteParty(id: 2))),
        "event_change_contact_update_tag": .event(.changeContact(.updateTag(.init(
            tagID: 1, addUserItems: ["zhangsan", "lisi"], delUserItems: ["zhangsan1", "lisi1"],
            addPartyItems: ["1", "2"], delPartyItems: ["3", "4"])))),
        "event_change_contact_unknown": .event(.changeContact(.unknown(changeType: "future_change"))),
        "event_click": .event(.click(key: "EVENTKEY")),
        "event_view": .event(.view(url: "https://work.weixin.qq.com/")),
        "event_view_miniprogram": .event(.viewMiniprogram(path: "pages/index/index")),
        "event_scancode_push": .event(.scancodePush(key: "6", ScanCodeInfo(scanType: "qrcode", scanResult: "1"))),
        "event_scancode_waitmsg": .event(.scancodeWaitmsg(key: "6", ScanCodeInfo(scanType: "qrcode", scanResult: "2"))),
        "event_pic_sysphoto": .event(.picSysphoto(key: "6", SendPicsInfo(count: 1, picMd5Sums: ["1b5f7c23b5bf75682a53e7b6d163e185"]))),
        "event_pic_photo_or_album": .event(.picPhotoOrAlbum(key: "6", SendPicsInfo(count: 2, picMd5Sums: ["aaa", "bbb"]))),
        "event_pic_weixin": .event(.picWeixin(key: "6", SendPicsInfo(count: 1, picMd5Sums: ["1b5f7c23b5bf75682a53e7b6d163e185"]))),
        "event_location_select": .event(.locationSelect(key: "6", SendLocationInfo(
            latitude: 23, longitude: 113, scale: 15, label: " 广州市海珠区客村艺苑路 106号", poiname: ""), appType: "wxwork")),
        "event_open_approval_change": .event(.openApprovalChange(ApprovalInfo(
            thirdNo: "201806010001", openSpName: "付款", openTemplateID: "1234567890", openSpStatus: 1,
            applyTime: 1_527_837_645, applyUserName: "xiaoming", applyUserID: "1", applyUserParty: "产品部",
            applyUserImage: "http://www.qq.com/xxx.png",
            approvalNodes: [.init(nodeStatus: 1, nodeAttr: 1, nodeType: 1, items: [.init(
                itemName: "xiaohong", itemUserID: "2", itemImage: "http://www.qq.com/xxx.png", itemStatus: 1,
                itemSpeech: "", itemOpTime: 0)])],
            notifyNodes: [.init(itemName: "xiaogang", itemUserID: "3", itemImage: "http://www.qq.com/xxx.png")],
            approverStep: 0))),
        "event_taskcard_click": .event(.taskcardClick(key: "key111", taskID: "taskid111")),
        "event_template_card_event": .event(.templateCardEvent(TemplateCardEvent(
            eventKey: "key111", taskID: "taskid123", cardType: "vote_interaction", responseCode: "ResponseCode_abc",
            selectedItems: [SelectedItem(questionKey: "QuestionKey1", optionIDs: ["OptionId1", "OptionId2"]),
                            SelectedItem(questionKey: "QuestionKey2", optionIDs: ["OptionId3"])]))),
        "event_template_card_menu_event": .event(.templateCardMenuEvent(TemplateCardEvent(
            eventKey: "menu_key_1", taskID: "taskid123", cardType: "text_notice", responseCode: "ResponseCode_def"))),
        "event_share_agent_change": .event(.shareAgentChange),
        "event_share_chain_change": .event(.shareChainChange),
        "event_inactive_alert": .event(.inactiveAlert(effectTime: 1_700_600_000)),
        "event_close_inactive_agent": .event(.closeInactiveAgent),
        "event_reopen_inactive_agent": .event(.reopenInactiveAgent),
        "event_low_active_alert": .event(.lowActiveAlert),
        "event_low_active": .event(.lowActive),
        "event_active_restored": .event(.activeRestored),
    ]

    static var allFixtures: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixture.root.appendingPathComponent("messages").path)) ?? []
        return names.filter { $0.hasSuffix(".xml") }.map { String($0.dropLast(4)) }.sorted()
    }

    func load(_ name: String) throws -> InboundMessage {
        try InboundMessage(xml: try Fixture.bytes("messages/\(name).xml"))
    }

    @Test func everyFixtureHasAnExpectation() {
        let known = Set(Self.expected.keys).union(["unknown_msgtype", "event_unknown", "event_change_contact_create_user"])
        #expect(Set(Self.allFixtures) == known)
        #expect(Self.allFixtures.count == 42)
    }

    @Test(arguments: InboundMessageTests.expected.keys.sorted())
    func fixtureParsesToTypedPayload(_ name: String) throws {
        let message = try load(name)
        #expect(message.payload == Self.expected[name])
        #expect(message.toUserName == "ww1436e0e65a779aee")
        #expect(message.createTime == 1_700_000_100)
        let isEvent = name.hasPrefix("event_")
        #expect(message.msgType == (isEvent ? "event" : name))
        #expect(message.msgID == (isEvent ? nil : "7300000000000000100"))
    }

    @Test func headerFieldsAreTyped() throws {
        let text = try load("text")
        #expect(text.fromUserName == "zhangsan")
        #expect(text.agentID == 1_000_002)
        let batch = try load("event_batch_job_result")
        #expect(batch.fromUserName == "sys")
        #expect(batch.agentID == nil)
        let task = try load("event_taskcard_click")
        #expect(task.agentID == 1)
        #expect(task.fields["AgentID"] == "1")
        #expect(task.fields["AgentId"] == "1")
    }

    @Test func createUserParsesEveryField() throws {
        let message = try load("event_change_contact_create_user")
        guard case .event(.changeContact(.createUser(let user))) = message.payload else {
            Issue.record("not create_user: \(message.payload)")
            return
        }
        #expect(user.userID == "zhangsan")
        #expect(user.name == "张三")
        #expect(user.department == ["1", "2", "3"])
        #expect(user.mainDepartment == "1")
        #expect(user.isLeaderInDept == ["1", "0", "0"])
        #expect(user.position == "产品经理")
        #expect(user.mobile == "13800000000")
        #expect(user.gender == 1)
        #expect(user.email == "zhangsan@gzdev.com")
        #expect(user.bizMail == "zhangsan@qyycs2.wecom.work")
        #expect(user.status == 1)
        #expect(user.avatar?.hasPrefix("http://wx.qlogo.cn/mmopen/") == true)
        #expect(user.alias == "jackzhang")
        #expect(user.telephone == "020-123456")
        #expect(user.address == "广州市")
        #expect(user.extAttr == [ExtAttr(name: "爱好", value: .text("旅游")),
                                 ExtAttr(name: "官网", value: .web(title: "企业微信", url: "https://work.weixin.qq.com"))])
        #expect(user.newUserID == nil)
    }

    @Test func unknownTypesKeepEveryField() throws {
        let file = try load("unknown_msgtype")
        guard case .unknown(let msgType, let fields) = file.payload else {
            Issue.record("expected unknown")
            return
        }
        #expect(msgType == "file")
        #expect(fields["FileName"] == "a.pdf")
        #expect(fields["MediaId"] == "m1")
        let kf = try load("event_unknown")
        #expect(kf.payload == .event(.unknown(event: "kf_msg_or_event", fields: kf.fields)))
        #expect(kf.fields["OpenKfId"] == "wkxxxxxxx")
        #expect(kf.event == "kf_msg_or_event")
    }

    @Test func fieldViewUsesPaths() throws {
        let pics = try load("event_pic_photo_or_album")
        #expect(pics.fields["SendPicsInfo/Count"] == "2")
        #expect(pics.fields["SendPicsInfo/PicList/item/0/PicMd5Sum"] == "aaa")
        #expect(pics.fields["SendPicsInfo/PicList/item/1/PicMd5Sum"] == "bbb")
        #expect(pics.fields["EventKey"] == "6")
        #expect(pics.fields["MsgType"] == "event")
        #expect(pics.fields["Event"] == "pic_photo_or_album")
        let one = try load("event_pic_sysphoto")
        #expect(one.fields["SendPicsInfo/PicList/item/0/PicMd5Sum"] == "1b5f7c23b5bf75682a53e7b6d163e185")
        let location = try load("event_location_select")
        #expect(location.fields["SendLocationInfo/Label"] == " 广州市海珠区客村艺苑路 106号")
        let card = try load("event_template_card_event")
        #expect(card.fields["SelectedItems/SelectedItem/0/OptionIds/OptionId/1"] == "OptionId2")
        #expect(card.fields["SelectedItems/SelectedItem/1/QuestionKey"] == "QuestionKey2")
        let approval = try load("event_open_approval_change")
        #expect(approval.fields["ApprovalInfo/ApprovalNodes/ApprovalNode/0/Items/Item/0/ItemUserid"] == "2")
        #expect(approval.fields["ApprovalInfo/ApprovalNodes/ApprovalNode/0/Items/Item/0/ItemUserId"] == "2")
        #expect(approval.fields["ApprovalInfo/approverstep"] == "0")
        let location2 = try load("location")
        #expect(location2.fields["Location_X"] == " 23.134521 ")
        #expect(location2.fields.count == 11)
    }

    @Test(arguments: InboundMessageTests.allFixtures)
    func fixtureRoundTripsThroughJSON(_ name: String) throws {
        let message = try load(name)
        let json = message.jsonData()
        let back = try InboundMessage(json: json)
        #expect(back == message)
        #expect(back.jsonData() == json)
    }

    @Test func jsonFormIsStableAndStringly() throws {
        let pics = try load("event_pic_sysphoto")
        let json = String(decoding: pics.jsonData(), as: UTF8.self)
        #expect(json == #"{"AgentID":"1000002","CreateTime":"1700000100","Event":"pic_sysphoto","EventKey":"6","FromUserName":"zhangsan","MsgType":"event","SendPicsInfo":{"Count":"1","PicList":{"item":[{"PicMd5Sum":"1b5f7c23b5bf75682a53e7b6d163e185"}]}},"ToUserName":"ww1436e0e65a779aee"}"#)
        let text = try InboundMessage(xml: Array("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x/y\u{10}\"</Content><MsgId>18446744073709551615</MsgId><AgentId>1</AgentId></xml>".utf8))
        #expect(String(decoding: text.jsonData(), as: UTF8.self) == #"{"AgentID":"1","AgentId":"1","Content":"x/y\u0010\"","CreateTime":"1","FromUserName":"b","MsgId":"18446744073709551615","MsgType":"text","ToUserName":"a"}"#)
        #expect(text.msgID == "18446744073709551615")
    }

    @Test func jsonRejectsNonObjects() {
        #expect(throws: MessageError.invalidJSON("not an object")) { try InboundMessage(json: Array("[1]".utf8)) }
        #expect(throws: MessageError.invalidJSON("not JSON")) { try InboundMessage(json: Array("{".utf8)) }
    }

    @Test func generatedVectorsMatchParsedFields() throws {
        let generated = (try Fixture.vectors()["generated"] as? [[String: Any]]) ?? []
        var checked = 0
        for vector in generated {
            guard let plaintext = vector["plaintext"] as? String, let parsed = vector["parsed_fields"] as? [String: String] else { continue }
            let message = try InboundMessage(xml: Array(plaintext.utf8))
            #expect(message.fields == parsed, "\(vector["id"] ?? "")")
            checked += 1
        }
        #expect(checked == 9)
    }

    @Test func publishedPlaintextWithoutCDATAParses() throws {
        let xml = "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
        let message = try InboundMessage(xml: Array(xml.utf8))
        #expect(message.payload == .text(content: "你好"))
        #expect(message.createTime == 1_476_422_779)
    }

    @Test func controlCharactersInContentAreKeptVerbatim() throws {
        let xml = "<xml><ToUserName><![CDATA[ww]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a\u{10}b\u{1D}c]]></Content></xml>"
        let message = try InboundMessage(xml: Array(xml.utf8))
        #expect(message.payload == .text(content: "a\u{10}b\u{1D}c"))
        #expect(message.fields["Content"] == "a\u{10}b\u{1D}c")
    }

    @Test func missingAndInvalidFieldsAreTypedErrors() {
        func parse(_ body: String) throws(MessageError) -> InboundMessage {
            try InboundMessage(xml: Array("<xml><ToUserName>ww</ToUserName><CreateTime> 12 </CreateTime>\(body)</xml>".utf8))
        }
        #expect(throws: MessageError.missingField("FromUserName")) { try parse("<MsgType>text</MsgType>") }
        #expect(throws: MessageError.missingField("Content")) { try parse("<FromUserName>u</FromUserName><MsgType>text</MsgType>") }
        #expect(throws: MessageError.missingField("MsgType")) { try parse("<FromUserName>u</FromUserName>") }
        #expect(throws: MessageError.invalidValue(field: "AgentID", value: "x")) {
            try parse("<FromUserName>u</FromUserName><MsgType>text</MsgType><Content/><AgentID>x</AgentID>")
        }
        #expect(throws: MessageError.missingField("ScanCodeInfo/ScanResult")) {
            try parse("<FromUserName>u</FromUserName><MsgType>event</MsgType><Event>scancode_push</Event><EventKey>k</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo>")
        }
        #expect(throws: MessageError.xml(.doctypeForbidden(offset: 0))) {
            try InboundMessage(xml: Array("<!DOCTYPE x><xml/>".utf8))
        }
    }

    @Test func batchJobAcceptsUnnestedFields() throws {
        let xml = "<xml><ToUserName>ww</ToUserName><FromUserName>sys</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>batch_job_result</Event><JobId>j</JobId><JobType>invite_user</JobType><ErrCode> 0 </ErrCode><ErrMsg>ok</ErrMsg></xml>"
        #expect(try InboundMessage(xml: Array(xml.utf8)).payload == .event(.batchJobResult(BatchJob(jobID: "j", jobType: "invite_user", errCode: 0, errMsg: "ok"))))
    }

    @Test func envelopeDecryptsThroughCrypto() throws {
        let published = (try Fixture.vectors()["published"] as? [[String: Any]]) ?? []
        guard let vector = published.first(where: { ($0["id"] as? String) == "official-B-post-xml" }),
              let request = vector["request"] as? [String: Any], let query = request["query"] as? [String: String],
              let body = request["body"] as? String, let credentials = (try Fixture.vectors()["credential_sets"] as? [String: Any])?["B"] as? [String: Any],
              let token = credentials["token"] as? String, let key = credentials["encoding_aes_key"] as? String,
              let receiveID = credentials["receive_id"] as? String
        else {
            Issue.record("vector official-B-post-xml not found")
            return
        }
        let crypt = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: receiveID)
        let plain = try crypt.decryptMessage(msgSignature: query["msg_signature"] ?? "", timestamp: query["timestamp"] ?? "",
                                             nonce: query["nonce"] ?? "", envelope: Array(body.utf8))
        #expect(try InboundMessage(xml: plain).payload == .text(content: "hello"))
        #expect(throws: WXBizMsgCryptError.envelopeParseFailed("missing required field Encrypt")) {
            try crypt.decryptMessage(msgSignature: "", timestamp: "", nonce: "", envelope: Array("<xml/>".utf8))
        }
    }
}
