import Foundation
import Logging
import Testing
@testable import WeComCallback
@testable import WeComSimulation

/// The simulation layer (issue #6): PRNG, message builder, signed requests, reply check, fixtures.
@Suite struct SimulationTests {
    /// Credential set A: the published sample credentials `make run` serves.
    static let sample = AppCredentials(
        corpID: "ww1436e0e65a779aee", token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
        encodingAESKey: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt")

    func echoHandler() throws -> CallbackHandler {
        let app = CallbackApp(
            name: "sample", path: "/wecom/callback", crypt: try Self.sample.makeCrypt(), corpID: Self.sample.corpID,
            processor: MessagePipeline(appName: "sample", router: Router(routes: [Route(index: 0, action: .echo)]),
                                        logger: Logger(label: "test"), deliveries: InMemoryDeliveryStore(capacity: 0)))
        return CallbackHandler(apps: [app], logger: Logger(label: "test"))
    }

    // MARK: - SplitMix64

    @Test func splitMix64MatchesTheReferenceSequence() {
        // Reference values of Vigna's splitmix64.c for seeds 0 and 1.
        var zero = SplitMix64(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var one = SplitMix64(seed: 1)
        #expect([one.next(), one.next()] == [10_451_216_379_200_822_465, 13_757_245_211_066_428_519])
    }

    @Test func splitMix64DerivedValuesHaveTheRequestedShape() {
        var rng = SplitMix64(seed: 42)
        #expect(rng.bytes(16).count == 16)
        #expect(rng.bytes(3).count == 3)
        for count in [1, 10, 19] {
            let digits = rng.decimalDigits(count)
            #expect(digits.count == count)
            #expect(digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber))
            #expect(digits.first != "0")
        }
    }

    // MARK: - InboundMessageBuilder

    @Test func catalogueCoversEveryMessageTypeEventAndChangeType() {
        let names = InboundMessageBuilder.catalogue(toUserName: "ww1", createTime: 1).map(\.name)
        #expect(names.count == 6 + InboundMessageBuilder.events.count - 1 + InboundMessageBuilder.changeTypes.count)
        #expect(Set(names).count == names.count)
        #expect(names.contains("event_LOCATION") && names.contains("event_change_contact_update_tag"))
    }

    @Test(arguments: InboundMessageBuilder.catalogue(toUserName: "ww1436e0e65a779aee", createTime: 1_700_000_000))
    func everyBuiltMessageParsesAndEchoesAsPredicted(_ builder: InboundMessageBuilder) throws {
        let xml = try builder.render()
        let message = try InboundMessage(xml: Array(xml.utf8))
        #expect(message.msgType == builder.msgType)
        #expect(message.event == builder.event)
        #expect(message.toUserName == "ww1436e0e65a779aee")
        if case .unknown = message.payload { Issue.record("\(builder.name) parsed as unknown") }
        if case .event(.unknown) = message.payload { Issue.record("\(builder.name) parsed as an unknown event") }
        let reply = PassiveReply.echo(for: message)
        switch builder.expectedEcho {
        case nil: #expect(reply == nil)
        case .content(let text): #expect(reply == .text(text))
        case .mediaID(let id):
            #expect(reply == .image(mediaID: id) || reply == .voice(mediaID: id)
                || reply == .video(mediaID: id, title: nil, description: nil))
        }
    }

    @Test func builderWritesTheGivenFieldsAndEscapesThem() throws {
        var builder = InboundMessageBuilder(msgType: "text", toUserName: "ww1", createTime: 5)
        builder.fromUserName = "alice"
        builder.content = "a]]>b <&>"
        builder.msgID = "123"
        let xml = try builder.render()
        #expect(xml == """
            <xml><ToUserName><![CDATA[ww1]]></ToUserName>
            <FromUserName><![CDATA[alice]]></FromUserName>
            <CreateTime>5</CreateTime>
            <MsgType><![CDATA[text]]></MsgType>
            <Content><![CDATA[a]]]]><![CDATA[>b <&>]]></Content>
            <MsgId>123</MsgId>
            <AgentID>1000002</AgentID>
            </xml>
            """)
        #expect(try InboundMessage(xml: Array(xml.utf8)).payload == .text(content: "a]]>b <&>"))
    }

    @Test func builderRejectsUnknownTypesAndEventsWithoutName() {
        #expect(throws: SimulationError.unknownMessageType("file")) {
            try InboundMessageBuilder(msgType: "file").render()
        }
        #expect(throws: SimulationError.missingEvent) { try InboundMessageBuilder(msgType: "event").render() }
    }

    // MARK: - Requests and replies

    @Test func percentEncodingMatchesWeComForBase64() {
        #expect(SimulatedRequest.percentEncode("a+b/c=d==") == "a%2Bb%2Fc%3Dd%3D%3D")
        #expect(SimulatedRequest.percentEncode("AZaz09-._~") == "AZaz09-._~")
        #expect(SimulatedRequest.percentEncode("中") == "%E4%B8%AD")
    }

    @Test func simulatedVerificationIsAcceptedByTheHandler() throws {
        let crypt = try Self.sample.makeCrypt()
        let request = try SimulatedRequest.urlVerification(crypt: crypt, timestamp: "1700000000", nonce: "42", echostr: "1234567890123456789")
        let response = try echoHandler().handle(CallbackRequest(method: "GET", path: "/wecom/callback", queryString: request.queryString))
        #expect(response.status == 200)
        #expect(response.body == Array("1234567890123456789".utf8))
    }

    @Test func replyEnvelopeOpensAReplyAndRejectsATamperedOne() throws {
        let crypt = try Self.sample.makeCrypt()
        let envelope = try crypt.encryptReply(Array("<xml>hi</xml>".utf8), timestamp: "1700000000", nonce: "7")
        let parsed = try ReplyEnvelope(parsing: Array(envelope.utf8))
        #expect(try parsed.open(with: crypt) == Array("<xml>hi</xml>".utf8))
        var tampered = parsed
        tampered.nonce = "8"
        #expect(throws: SimulationError.replySignatureMismatch) { try tampered.open(with: crypt) }
        let other = try WXBizMsgCrypt(token: Self.sample.token, encodingAESKey: Self.sample.encodingAESKey, receiveID: "wwother")
        #expect(throws: SimulationError.crypto(.receiveIDMismatch)) { try parsed.open(with: other) }
        #expect(throws: SimulationError.malformedReplyEnvelope("no MsgSignature element")) {
            try ReplyEnvelope(parsing: Array("<xml><Encrypt>abc</Encrypt></xml>".utf8))
        }
    }

    // MARK: - URL-verification verdicts

    @Test func urlVerificationVerdictsNameTheProblem() {
        let e = "1234567890123456789"
        func judge(_ status: Int, _ body: String) -> URLVerificationCheck.Verdict {
            URLVerificationCheck.judge(status: status, body: Array(body.utf8), echostr: e)
        }
        #expect(judge(200, e) == .pass)
        #expect(judge(403, "forbidden") == .fail(#"status 403, expected 200 (body: "forbidden" (9 bytes))"#))
        #expect(judge(200, e + "\n") == .fail(#"body has a trailing newline: "1234567890123456789\n" (20 bytes)"#))
        #expect(judge(200, "\u{FEFF}" + e) == .fail("body starts with a UTF-8 BOM (EF BB BF)"))
        #expect(judge(200, "  " + e + " ") == .fail(#"body has extra whitespace around the echostr: "  1234567890123456789 " (22 bytes)"#))
        #expect(judge(200, "\"" + e + "\"") == .fail(#"body is quoted (a JSON string?): "\"1234567890123456789\"" (21 bytes)"#))
        #expect(judge(200, "") == .fail("body is empty, expected the 19-byte echostr plaintext"))
        #expect(judge(200, "{\"echostr\":\"\(e)\"}").description.contains("other bytes too"))
        #expect(judge(200, "nope").description.contains("body differs"))
    }

    // MARK: - Fixtures

    @Test func fixtureSetIsDeterministicPerSeed() throws {
        let a = try CurlFixtureSet.generate(credentials: Self.sample, seed: 1)
        let b = try CurlFixtureSet.generate(credentials: Self.sample, seed: 1)
        let c = try CurlFixtureSet.generate(credentials: Self.sample, seed: 2)
        #expect(a == b)
        #expect(a.map(\.name) == c.map(\.name))
        #expect(a.map(\.request) != c.map(\.request))
        #expect(Set(a.map(\.name)).count == a.count)
    }

    @Test func everyFixtureGetsItsExpectedAnswerFromTheHandler() throws {
        let handler = try echoHandler()
        let crypt = try Self.sample.makeCrypt()
        for fixture in try CurlFixtureSet.generate(credentials: Self.sample, seed: 1) {
            let request = CallbackRequest(
                method: fixture.request.method, path: "/wecom/callback", queryString: fixture.request.queryString,
                body: Array(fixture.request.body.prefix(65_536)), bodyTooLarge: fixture.request.body.count > 65_536)
            let response = handler.handle(request)
            #expect(response.status == fixture.expectedStatus, "\(fixture.name)")
            guard response.status == 200 else { continue }
            if fixture.request.method == "GET" {
                #expect(response.body == Array((fixture.expect ?? "").utf8), "\(fixture.name)")
            } else if let expect = fixture.expect {
                let reply = String(decoding: try ReplyEnvelope(parsing: response.body).open(with: crypt), as: UTF8.self)
                #expect(reply.contains("<Content>\(XMLText.cdata(expect))</Content>")
                    || reply.contains("<MediaId>\(XMLText.cdata(expect))</MediaId>"), "\(fixture.name): \(reply)")
            } else {
                #expect(response.body.isEmpty, "\(fixture.name) should get no reply")
            }
        }
    }
}

extension URLVerificationCheck.Verdict {
    var description: String {
        switch self {
        case .pass: return "pass"
        case .fail(let why): return why
        }
    }
}
