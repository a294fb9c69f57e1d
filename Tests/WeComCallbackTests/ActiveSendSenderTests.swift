import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
@testable import WeComCallback

/// ActiveSender, AccessTokenCache and WeComAPIClient against a mock WeCom API on loopback.
@Suite(.serialized) struct ActiveSendSenderTests {
    static let tokenPath = "/cgi-bin/gettoken"
    static let sendPath = "/cgi-bin/message/send"

    /// A server answering gettoken with `AS.tokenJSON` and message/send with `send(index)`.
    static func server(send: @escaping @Sendable (Int) -> MockWeComAPI.Response = { _ in .json(AS.ok) }) throws -> MockWeComAPI {
        try MockWeComAPI { request, index in
            switch request.path {
            case tokenPath: return .json(AS.tokenJSON)
            case sendPath: return send(index)
            default: return .status(404)
            }
        }
    }

    static func expectNoSecrets(_ log: LogRecorder) {
        #expect(!log.text.contains(AS.secret))
        #expect(!log.text.contains(AS.token))
        #expect(!log.text.contains("TOKEN-2"))
    }

    @Test func textIsSentWithExactBodyAndTokenQuery() throws {
        let server = try Self.server()
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        #expect(sender.enqueue(AS.text("hello")))
        #expect(sender.shutdown(timeout: .seconds(10)))
        let token = try #require(server.requests(path: Self.tokenPath).first)
        #expect(token.method == "GET")
        #expect(token.query == ["corpid": AS.corpID, "corpsecret": AS.secret])
        let sends = server.requests(path: Self.sendPath)
        #expect(sends.count == 1)
        #expect(sends.first?.method == "POST")
        #expect(sends.first?.query == ["access_token": AS.token])
        #expect(sends.first?.bodyText == #"{"agentid":1000002,"duplicate_check_interval":1800,"enable_duplicate_check":1,"msgtype":"text","text":{"content":"hello"},"touser":"zhangsan"}"#)
        #expect(sender.counts == ActiveSender.Counts(sent: 1, failed: 0, dropped: 0, queued: 0))
        Self.expectNoSecrets(log)
    }

    @Test func tokenIsFetchedOnceAndSharedAcrossSendsAndThreads() throws {
        let server = try Self.server()
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, tokens) = AS.sender(server, logger: log.logger())
        let seen = LockedValue<Set<String>>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let token = try? tokens.token() { seen.withLock { _ = $0.insert(token) } }
        }
        for i in 0..<5 { #expect(sender.enqueue(AS.text("message \(i)"))) }
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.tokenPath).count == 1)
        #expect(tokens.fetchCount == 1)
        #expect(seen.withLock { $0 } == [AS.token])
        let sends = server.requests(path: Self.sendPath)
        #expect(sends.map { $0.query["access_token"] } == Array(repeating: AS.token, count: 5))
        #expect(sends.map { (AS.object($0)["text"] as? [String: Any])?["content"] as? String }
            == (0..<5).map { "message \($0)" })
        Self.expectNoSecrets(log)
    }

    @Test func tokenIsRefreshedWhenItExpires() throws {
        let server = try Self.server()
        defer { server.stop() }
        let clock = ManualClock()
        let (sender, tokens) = AS.sender(server, logger: LogRecorder().logger(), clock: clock)
        #expect(try tokens.token() == AS.token)
        clock.advance(.seconds(7200 - 301))
        #expect(try tokens.token() == AS.token)
        #expect(tokens.fetchCount == 1)
        clock.advance(.seconds(2))  // 5 minutes before expires_in: refresh
        sender.enqueue(AS.text("after expiry"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.tokenPath).count == 2)
        #expect(sender.counts.sent == 1)
    }

    @Test func refreshSchedule() {
        #expect(AccessTokenCache.refreshAfter(expiresIn: 7200) == .seconds(6900))
        #expect(AccessTokenCache.refreshAfter(expiresIn: 1000) == .seconds(900))
        #expect(AccessTokenCache.refreshAfter(expiresIn: 0) == .zero)
    }

    @Test func expiredTokenErrcodeRefreshesOnceThenSucceeds() throws {
        let server = try MockWeComAPI { request, index in
            switch (request.path, index) {
            case (Self.tokenPath, 0): return .json(AS.tokenJSON)
            case (Self.tokenPath, _): return .json(#"{"errcode":0,"errmsg":"ok","access_token":"TOKEN-2","expires_in":7200}"#)
            case (Self.sendPath, 0): return .json(#"{"errcode":42001,"errmsg":"access_token expired"}"#)
            default: return .json(AS.ok)
            }
        }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        sender.enqueue(AS.text("hi"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.tokenPath).count == 2)
        #expect(server.requests(path: Self.sendPath).map { $0.query["access_token"] } == [AS.token, "TOKEN-2"])
        #expect(sender.counts.sent == 1)
        #expect(log.all.contains { $0.contains("access token refused (errcode=42001") })
        Self.expectNoSecrets(log)
    }

    @Test func tokenErrcodeRefreshesOnlyOnce() throws {
        let server = try Self.server { _ in .json(#"{"errcode":40014,"errmsg":"invalid access_token"}"#) }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        sender.enqueue(AS.text("hi"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.tokenPath).count == 2)
        #expect(server.requests(path: Self.sendPath).count == 2)
        #expect(sender.counts == ActiveSender.Counts(sent: 0, failed: 1, dropped: 0, queued: 0))
        #expect(log.all.contains { $0.hasPrefix("error active send failed app=helpdesk touser=zhangsan msgtype=text errcode=40014") })
        Self.expectNoSecrets(log)
    }

    @Test func finalErrcodeIsNotRetriedAndIsLogged() throws {
        let server = try Self.server { _ in .json(#"{"errcode":81013,"errmsg":"user & party & tag all invalid"}"#) }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        sender.enqueue(AS.text("hi", to: "nobody"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.sendPath).count == 1)
        #expect(sender.counts.failed == 1)
        #expect(log.all.contains("error active send failed app=helpdesk touser=nobody msgtype=text errcode=81013 errmsg=\"user & party & tag all invalid\""))
        Self.expectNoSecrets(log)
    }

    @Test func invalidSecretIsNotRetriedAndIsLogged() throws {
        let server = try MockWeComAPI { request, _ in
            request.path == Self.tokenPath ? .json(#"{"errcode":40001,"errmsg":"invalid credential"}"#) : .json(AS.ok)
        }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        sender.enqueue(AS.text("hi"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.tokenPath).count == 1)
        #expect(server.requests(path: Self.sendPath).isEmpty)
        #expect(sender.counts.failed == 1)
        #expect(log.all.contains { $0.contains("errcode=40001 errmsg=\"invalid credential\"") })
        Self.expectNoSecrets(log)
    }

    /// The first attempt's connection is reset after the request was read; libcurl reports that at
    /// once as `CURLE_RECV_ERROR` (56, "connection lost"), which is retried like any network error.
    @Test func networkFailureAndBusyAreRetriedWithBackoff() throws {
        let server = try Self.server { index in
            switch index {
            case 0: return .drop
            case 1: return .json(#"{"errcode":-1,"errmsg":"system busy"}"#)
            default: return .json(AS.ok)
            }
        }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger(), timeout: .seconds(1))
        let start = ContinuousClock.now
        sender.enqueue(AS.text("hi"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(ContinuousClock.now - start >= .milliseconds(60))  // 20 ms + 40 ms of backoff
        #expect(server.requests(path: Self.sendPath).count == 3)
        #expect(sender.counts == ActiveSender.Counts(sent: 1, failed: 0, dropped: 0, queued: 0))
        #expect(log.all.contains { $0.hasPrefix("warning active send app=helpdesk touser=zhangsan msgtype=text: network error 56: connection lost") && $0.contains("retry 1/3") })
        #expect(log.all.contains { $0.contains("errcode=-1 errmsg=\"system busy\"; retry 2/3") })
        Self.expectNoSecrets(log)
    }

    @Test func transientFailureGivesUpAfterTheLastRetry() throws {
        let server = try Self.server { _ in .status(502) }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        sender.enqueue(AS.text("hi"))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.sendPath).count == 4)
        #expect(sender.counts.failed == 1)
        #expect(log.all.contains { $0.hasPrefix("error active send failed") && $0.contains("HTTP status 502") })
    }

    @Test func longCJKTextIsSplitIntoThreeOrderedMessages() throws {
        let server = try Self.server()
        defer { server.stop() }
        let (sender, _) = AS.sender(server, logger: LogRecorder().logger())
        let text = String(repeating: "企业微信", count: 416) + "中文" + "ab"  // 4998 + 2 = 5000 bytes
        #expect(text.utf8.count == 5000)
        sender.enqueue(AS.text(text))
        #expect(sender.shutdown(timeout: .seconds(10)))
        let sends = server.requests(path: Self.sendPath)
        #expect(sends.count == 3)
        let contents = sends.compactMap { (AS.object($0)["text"] as? [String: Any])?["content"] as? String }
        #expect(contents.count == 3)
        #expect(contents.map(\.utf8.count) == [2046, 2046, 908])
        #expect(contents.allSatisfy { $0.utf8.count <= 2048 })
        #expect(contents.joined() == text)
        #expect(sends.allSatisfy { AS.object($0)["touser"] as? String == "zhangsan" && AS.object($0)["agentid"] as? Int == 1000002 })
        #expect(sender.counts.sent == 1)
    }

    @Test func markdownActiveOnlyIsSentAsMarkdown() throws {
        let server = try Self.server()
        defer { server.stop() }
        let (sender, _) = AS.sender(server, logger: LogRecorder().logger())
        guard case .activeOnly(let reply) = try ParsedReply(json: Array(#"{"MsgType":"markdown","Content":"**hi** <@zhangsan>"}"#.utf8)) else {
            Issue.record("not active-only")
            return
        }
        sender.enqueue(ActiveMessage(toUser: "zhangsan", agentID: 1000002, content: .activeOnly(reply)))
        #expect(sender.shutdown(timeout: .seconds(10)))
        #expect(server.requests(path: Self.sendPath).map(\.bodyText) == [
            #"{"agentid":1000002,"duplicate_check_interval":1800,"enable_duplicate_check":1,"markdown":{"content":"**hi** <@zhangsan>"},"msgtype":"markdown","touser":"zhangsan"}"#,
        ])
    }

    @Test func fullQueueDropsAndReturnsFalse() throws {
        let server = try Self.server { _ in .blockThenJSON(AS.ok) }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        #expect(sender.enqueue(AS.text("in flight")))
        #expect(eventually { server.requests(path: Self.sendPath).count == 1 })
        var accepted = 0
        for i in 0..<1001 where sender.enqueue(AS.text("queued \(i)")) { accepted += 1 }
        #expect(accepted == 1000)
        #expect(sender.counts == ActiveSender.Counts(sent: 0, failed: 0, dropped: 1, queued: 1000))
        #expect(log.all.filter { $0.hasPrefix("error active send queue full app=helpdesk capacity=1000") }.count == 1)
        server.release()
        #expect(sender.shutdown(timeout: .seconds(30)))
        #expect(sender.counts == ActiveSender.Counts(sent: 1001, failed: 0, dropped: 1, queued: 0))
        #expect(server.requests(path: Self.tokenPath).count == 1)
    }

    @Test func passiveOnlyRepliesAreRefused() throws {
        let server = try Self.server()
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        #expect(!sender.enqueue(ActiveMessage(toUser: "zhangsan", agentID: 1, content: .reply(.updateButton(replaceName: "Done")))))
        #expect(sender.counts.dropped == 1)
        #expect(log.all == ["error active send refused app=helpdesk touser=zhangsan msgtype=update_button: update_button is a passive-only reply; it cannot be sent actively"])
        #expect(sender.shutdown(timeout: .seconds(1)))
        #expect(server.requests.isEmpty)
    }

    @Test func shutdownStopsAcceptingAndDropsWhatIsLeftAtTheDeadline() throws {
        let server = try Self.server { _ in .blockThenJSON(AS.ok) }
        defer { server.stop() }
        let log = LogRecorder()
        let (sender, _) = AS.sender(server, logger: log.logger())
        for i in 0..<3 { sender.enqueue(AS.text("m\(i)")) }
        #expect(eventually(timeout: .seconds(30)) { server.requests(path: Self.sendPath).count == 1 })
        let late = DispatchQueue.global()
        late.asyncAfter(deadline: .now() + 1.5) { server.release() }
        #expect(sender.shutdown(timeout: .milliseconds(200)) == false)
        #expect(!sender.enqueue(AS.text("too late")))
        #expect(eventually { sender.counts.dropped == 3 })  // m1, m2 at the deadline + "too late"
        #expect(sender.counts.sent == 1)
        #expect(log.all.contains("error active send shutdown app=helpdesk: dropped 2 queued message(s)"))
    }

    @Test func releasedSenderDrainsInTheBackground() throws {
        let server = try Self.server()
        defer { server.stop() }
        do {
            let (sender, _) = AS.sender(server, logger: LogRecorder().logger())
            for i in 0..<3 { sender.enqueue(AS.text("m\(i)")) }
        }
        #expect(eventually { server.requests(path: Self.sendPath).count == 3 })
    }

    @Test func redactedURLHidesTheQuery() throws {
        let url = try #require(URL(string: "https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww&corpsecret=\(AS.secret)"))
        #expect(WeComAPIClient.redacted(url) == "https://qyapi.weixin.qq.com/cgi-bin/gettoken?…")
    }
}

extension ActiveSendSenderTests {
    @Test func unreachableAPIIsRetriedThenFails() throws {
        let server = try Self.server()
        server.stop()  // nothing listens on the port any more
        let log = LogRecorder()
        let (sender, tokens) = AS.sender(server, logger: log.logger(), timeout: .seconds(2))
        sender.enqueue(AS.text("hi"))
        #expect(sender.shutdown(timeout: .seconds(20)))
        #expect(sender.counts.failed == 1)
        #expect(tokens.fetchCount == 4)
        #expect(log.all.filter { $0.contains("network error") }.count == 4)  // 3 retries + the final error
        Self.expectNoSecrets(log)
    }
}
