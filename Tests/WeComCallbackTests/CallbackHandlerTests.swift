import Foundation
import Logging
import Testing
@testable import WeComCallback

/// A processor that answers with the plaintext itself, or a fixed disposition.
struct StubProcessor: MessageProcessor {
    var disposition: ProcessingOutcome.Disposition?
    func process(_ plaintext: [UInt8], context: ProcessingContext) -> ProcessingOutcome {
        ProcessingOutcome(disposition ?? .reply(plaintext), summary: "stub")
    }
}

@Suite struct CallbackHandlerTests {
    static var getVector: [String: Any] { Vectors.shared.entry("official-B-get") }
    static var postVector: [String: Any] { Vectors.shared.entry("official-B-post-xml") }

    func handler(_ disposition: ProcessingOutcome.Disposition? = nil, path: String? = nil) throws -> CallbackHandler {
        let c = Vectors.shared.credentials(Self.getVector)
        let crypt = try WXBizMsgCrypt(token: c.token, encodingAESKey: c.key, receiveID: c.receiveID)
        let app = CallbackApp(name: "demo", path: path, crypt: crypt, corpID: c.receiveID,
                              processor: StubProcessor(disposition: disposition))
        return CallbackHandler(apps: [app], logger: Logger(label: "test"))
    }

    var rawGetQuery: String { Self.getVector.string("request.raw_query_string") ?? "" }

    func postQuery() -> String {
        let q = (Self.postVector["request"] as? [String: Any])?["query"] as? [String: String] ?? [:]
        return "msg_signature=\(q["msg_signature"] ?? "")&timestamp=\(q["timestamp"] ?? "")&nonce=\(q["nonce"] ?? "")"
    }

    @Test func publishedURLVerificationAnswersThePlaintextExactly() throws {
        let response = try handler().handle(CallbackRequest(method: "GET", path: "/", queryString: rawGetQuery))
        #expect(response.status == 200)
        #expect(response.contentType == "text/plain; charset=utf-8")
        #expect(response.body == Array((Self.getVector["plaintext"] as? String ?? "").utf8))
    }

    @Test func rawPlusAndSpaceInEchostrAreReadAsPlus() throws {
        let h = try handler()
        let plain = Array((Self.getVector["plaintext"] as? String ?? "").utf8)
        let rawPlus = rawGetQuery.replacingOccurrences(of: "%2B", with: "+")
        #expect(h.handle(CallbackRequest(method: "GET", queryString: rawPlus)).body == plain)
        let spaced = rawGetQuery.replacingOccurrences(of: "%2B", with: "%20")
        #expect(h.handle(CallbackRequest(method: "GET", queryString: spaced)).body == plain)
    }

    @Test func doubleEncodedEchostrIsRejected() throws {
        let doubled = rawGetQuery.replacingOccurrences(of: "%2B", with: "%252B")
        #expect(try handler().handle(CallbackRequest(method: "GET", queryString: doubled)).status == 403)
    }

    @Test(arguments: ["msg_signature", "timestamp", "nonce", "echostr"])
    func missingOrEmptyGetParameterIs400(name: String) throws {
        let h = try handler()
        let without = rawGetQuery.split(separator: "&").filter { !$0.hasPrefix("\(name)=") }.joined(separator: "&")
        #expect(h.handle(CallbackRequest(method: "GET", queryString: without)).status == 400)
        let empty = rawGetQuery.split(separator: "&").map { $0.hasPrefix("\(name)=") ? "\(name)=" : String($0) }
            .joined(separator: "&")
        #expect(h.handle(CallbackRequest(method: "GET", queryString: empty)).status == 400)
    }

    @Test func duplicatedParameterIs400() throws {
        let response = try handler().handle(CallbackRequest(method: "GET", queryString: rawGetQuery + "&nonce=1"))
        #expect(response.status == 400)
        #expect(response.body == Array("bad request\n".utf8))
    }

    @Test func malformedPercentEscapeIs400() throws {
        #expect(try handler().handle(CallbackRequest(method: "GET", queryString: rawGetQuery + "&x=%G1")).status == 400)
    }

    @Test func badSignatureIs403() throws {
        let q = rawGetQuery.replacingOccurrences(of: "msg_signature=5c45", with: "msg_signature=0000")
        let response = try handler().handle(CallbackRequest(method: "GET", queryString: q))
        #expect(response.status == 403)
        #expect(response.body == Array("forbidden\n".utf8))
    }

    @Test func postOfThePublishedMessageRepliesWithAnEnvelopeThatDecrypts() throws {
        let h = try handler()
        let body = Array((Self.postVector.string("request.body") ?? "").utf8)
        let response = h.handle(CallbackRequest(method: "POST", queryString: postQuery(), body: body))
        #expect(response.status == 200)
        #expect(response.contentType == "text/xml; charset=utf-8")
        let envelope = try Envelope(parsing: response.body)
        let reply = try XMLReader().parse(response.body)
        let timestamp = try #require(reply.child("TimeStamp")?.text)
        let nonce = try #require(reply.child("Nonce")?.text)
        let signature = try #require(reply.child("MsgSignature")?.text)
        #expect(timestamp == "1409659813" && nonce == "1372623149")
        let plain = try h.apps[0].crypt.decryptMessage(
            msgSignature: signature, timestamp: timestamp, nonce: nonce, encrypt: envelope.encrypt)
        #expect(plain == Array((Self.postVector["plaintext"] as? String ?? "").utf8))
    }

    @Test func postWithBOMAndCRLFEnvelopeIsAccepted() throws {
        let raw = (Self.postVector.string("request.body") ?? "").replacingOccurrences(of: "><", with: ">\r\n  <")
        let body = [0xEF, 0xBB, 0xBF] + Array(raw.utf8)
        let response = try handler(.noReply).handle(CallbackRequest(method: "POST", queryString: postQuery(), body: body))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
    }

    @Test func postFailuresFollowTheStatusPolicy() throws {
        let h = try handler()
        let body = Array((Self.postVector.string("request.body") ?? "").utf8)
        #expect(h.handle(CallbackRequest(method: "POST", queryString: postQuery(), body: [])).status == 400)
        #expect(h.handle(CallbackRequest(method: "POST", queryString: postQuery(), body: Array("<xml><a>".utf8))).status == 400)
        #expect(h.handle(CallbackRequest(method: "POST", queryString: postQuery(), body: Array("not xml".utf8))).status == 400)
        #expect(h.handle(CallbackRequest(method: "POST", queryString: "timestamp=1&nonce=2", body: body)).status == 400)
        let wrongSig = postQuery().replacingOccurrences(of: "msg_signature=4777", with: "msg_signature=0777")
        #expect(h.handle(CallbackRequest(method: "POST", queryString: wrongSig, body: body)).status == 403)
        #expect(h.handle(CallbackRequest(method: "POST", queryString: postQuery(), body: body, bodyTooLarge: true)).status == 413)
    }

    @Test func wrongReceiveIDIs403() throws {
        let v = Vectors.shared.entry("neg-02-wrong-receiveid")
        let q = (v["request"] as? [String: Any])?["query"] as? [String: String] ?? [:]
        let body = "<xml><ToUserName><![CDATA[x]]></ToUserName><Encrypt><![CDATA[\(v.string("request.encrypt") ?? "")]]></Encrypt></xml>"
        let query = "msg_signature=\(q["msg_signature"] ?? "")&timestamp=\(q["timestamp"] ?? "")&nonce=\(q["nonce"] ?? "")"
        #expect(try handler().handle(CallbackRequest(method: "POST", queryString: query, body: Array(body.utf8))).status == 403)
    }

    @Test func otherMethodsAre405WithAllow() throws {
        for method in ["PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", ""] {
            let response = try handler().handle(CallbackRequest(method: method, queryString: rawGetQuery))
            #expect(response.status == 405)
            #expect(response.headers.first { $0.name == "Allow" }?.value == "GET, POST")
        }
    }

    @Test func appIsChosenByPathIgnoringATrailingSlash() throws {
        let h = try handler(path: "/wecom/demo")
        #expect(h.handle(CallbackRequest(method: "GET", path: "/wecom/demo/", queryString: rawGetQuery)).status == 200)
        #expect(h.handle(CallbackRequest(method: "GET", path: "/wecom/demo", queryString: rawGetQuery)).status == 200)
        #expect(h.handle(CallbackRequest(method: "GET", path: "/wecom/other", queryString: rawGetQuery)).status == 404)
    }

    @Test func authenticatedButFailedMessageIs200Empty() throws {
        let body = Array((Self.postVector.string("request.body") ?? "").utf8)
        let response = try handler(.failed("parse error")).handle(CallbackRequest(method: "POST", queryString: postQuery(), body: body))
        #expect(response.status == 200 && response.body.isEmpty)
        let forbidden = try handler(.forbidden("AgentID")).handle(CallbackRequest(method: "POST", queryString: postQuery(), body: body))
        #expect(forbidden.status == 403)
    }

    @Test func credentialsComeFromTheOriginalEnvironmentVariables() throws {
        let env = ["WECOM_APP_CORP_ID": "ww1", "WECOM_APP_TOKEN": "t", "WECOM_APP_AES_KEY": "k"]
        let creds = try AppCredentials.fromEnvironment(env)
        #expect(creds.corpID == "ww1" && creds.token == "t" && creds.encodingAESKey == "k")
        #expect(throws: CredentialError(field: "WECOM_APP_TOKEN", reason: "is not set")) {
            try AppCredentials.fromEnvironment(["WECOM_APP_CORP_ID": "ww1", "WECOM_APP_AES_KEY": "k"])
        }
    }
}

@Suite struct RequestHygieneTests {
    @Test func logTextEscapesControlCharactersAndBoundsLength() {
        #expect(LogText.sanitize("/nope\n2099-01-01 info FORGED") == "/nope\\u{a}2099-01-01 info FORGED")
        #expect(LogText.sanitize("a\u{1b}[31mb\u{7f}") == "a\\u{1b}[31mb\\u{7f}")
        #expect(LogText.sanitize("中文 ok") == "中文 ok")
        #expect(LogText.sanitize(String(repeating: "x", count: 500)) == String(repeating: "x", count: 200) + "…")
    }

    @Test func theBudgetCountsFromTheWebServersArrivalTime() throws {
        let fixed = Date(timeIntervalSince1970: 1_700_000_010)
        let handler = CallbackHandler(apps: [], logger: Logger(label: "t"), now: { fixed })
        let started = ContinuousClock.now
        let waited = CallbackRequest(method: "POST", receivedAt: 1_700_000_007.5)
        #expect(handler.arrival(waited, started: started) == started - .milliseconds(2500))
        // Absent, in the future, or implausibly old: the worker's own clock.
        for bogus in [nil, 1_700_000_011.0, 1_699_999_000.0] {
            #expect(handler.arrival(CallbackRequest(method: "POST", receivedAt: bogus), started: started) == started)
        }
    }
}
