import Foundation
import Platform
import Synchronization
import Testing
@testable import WeComCallback

/// An HTTP/1.1 server on a free loopback port that answers each connection with a script of raw steps
/// (the status line, headers and body written by the test, bytes as they should arrive), and records
/// each request and when the client closed its connection.
final class ScriptedHTTPServer: Sendable {
    enum Step: Sendable {
        /// Write these bytes.
        case send(String)
        /// Sleep.
        case pause(Duration)
        /// Read until the client closes the connection (at most 10 s), recording when it did.
        case awaitClientClose
    }

    /// One request: its head (request line and headers, CRLF-separated) and body.
    struct Request: Sendable, Equatable {
        var head: String
        var body: [UInt8]
        var requestLine: String { head.components(separatedBy: "\r\n").first ?? "" }
        /// The value of a header (case-insensitive name), if sent.
        func header(_ name: String) -> String? {
            for line in head.components(separatedBy: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    let port: Int
    private let listener: Int32
    private let script: @Sendable (Request) -> [Step]
    private let recorded = Locked<[Request]>([])
    /// When a client closed its connection during ``Step/awaitClientClose``.
    let clientClosedAt = Locked<[ContinuousClock.Instant]>([])
    private let stopped = Atomic<Bool>(false)

    var base: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { recorded.withLock { $0 } }

    init(script: @escaping @Sendable (Request) -> [Step]) throws {
        self.script = script
        (listener, port) = try loopbackSocket(listening: 8)
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting (the accept thread closes the listener).
    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        acceptConnections(on: listener, isStopped: { stopped.load(ordering: .sequentiallyConsistent) }) { fd in
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = readRequest(fd) else { return }
        recorded.withLock { $0.append(request) }
        for step in script(request) {
            switch step {
            case .send(let text):
                let bytes = Array(text.utf8)
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { return }
                    offset += n
                }
            case .pause(let duration):
                Thread.sleep(forTimeInterval: duration.inSeconds)
            case .awaitClientClose:
                var scratch = [UInt8](repeating: 0, count: 1024)
                while scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
                clientClosedAt.withLock { $0.append(.now) }
            }
        }
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator = Array("\r\n\r\n".utf8)
        func headEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            return (0...(buffer.count - 4)).first { Array(buffer[$0..<($0 + 4)]) == separator }
        }
        while headEnd() == nil {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            buffer += chunk[0..<n]
        }
        guard let end = headEnd() else { return nil }
        var request = Request(head: String(decoding: buffer[0..<end], as: UTF8.self), body: [])
        let length = request.header("content-length").flatMap { Int($0) } ?? 0
        while buffer.count < end + 4 + length {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            buffer += chunk[0..<n]
        }
        request.body = Array(buffer[(end + 4)..<(end + 4 + length)])
        return request
    }
}


/// ``CurlTransfer/request(_:cancelled:onChunk:)`` and ``CurlLibrary`` against loopback servers.
@Suite struct CurlTransferTests {
    static func answer(_ status: Int, _ body: String, headers: String = "") -> String {
        "HTTP/1.1 \(status) X\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\(headers)\r\n\(body)"
    }

    static func request(_ method: CurlTransfer.Request.Method = .get, _ url: String, headers: [String] = [], body: String = "",
                        maxAnswerBytes: Int = 65536, timeout: Duration = .seconds(5)) -> CurlTransfer.Request {
        CurlTransfer.Request(method: method, url: url, headers: headers, body: Array(body.utf8),
                             maxAnswerBytes: maxAnswerBytes, deadline: .now + timeout)
    }

    @Test func aMissingLibraryIsOneClearError() {
        guard case .failure(let error) = CurlLibrary.load("libcurl-not-installed.so.4") else {
            Issue.record("a library that does not exist was loaded")
            return
        }
        #expect(error == .network(code: 2, reason: "libcurl4 is not installed (cannot load libcurl-not-installed.so.4)"))
        #expect(error.code == 2)
    }

    @Test func aLibraryWithoutCurlFunctionsIsRefused() {
        // libc is loaded, but it has no curl_easy_init.
        guard case .failure(let error) = CurlLibrary.load("libc.so.6") else {
            Issue.record("libc passed for libcurl")
            return
        }
        #expect(error == .network(code: 2, reason: "libc.so.6 has no curl_easy_init (too old)"))
    }

    @Test func statusLines() {
        #expect(CurlTransfer.status(fromStatusLine: "HTTP/1.1 200 OK\r\n") == 200)
        #expect(CurlTransfer.status(fromStatusLine: "HTTP/2 404 \r\n") == 404)
        #expect(CurlTransfer.status(fromStatusLine: "HTTP/1.0 5000 X\r\n") == nil)
        #expect(CurlTransfer.status(fromStatusLine: "Content-Type: text/plain\r\n") == nil)
    }

    @Test func aPostSendsItsBodyAndHeadersOnceAndReadsTheAnswer() throws {
        let server = try ScriptedHTTPServer { _ in [.send(Self.answer(201, #"{"ok":true}"#))] }
        defer { server.stop() }
        let response = try CurlTransfer.request(Self.request(.post, server.base + "/a/b?x=1", headers: ["Content-Type: application/json", "X-Test: 1"],
                                                             body: #"{"a":"企业"}"#))
        #expect(response == CurlTransfer.Response(status: 201, body: Array(#"{"ok":true}"#.utf8), stoppedByHandler: false))
        let request = try #require(server.requests.first)
        #expect(server.requests.count == 1)
        #expect(request.requestLine == "POST /a/b?x=1 HTTP/1.1")
        #expect(request.body == Array(#"{"a":"企业"}"#.utf8))
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("x-test") == "1")
        #expect(request.header("content-length") == "\(#"{"a":"企业"}"#.utf8.count)")
        #expect(request.header("expect") == nil)
        #expect(request.header("user-agent") == "wecom-fcgi")
    }

    @Test func aGetSendsNoBodyAndAnyStatusComesBackWithItsBody() throws {
        let server = try ScriptedHTTPServer { _ in [.send(Self.answer(503, "busy"))] }
        defer { server.stop() }
        let response = try CurlTransfer.request(Self.request(.get, server.base + "/x", body: "ignored"))
        #expect(response == CurlTransfer.Response(status: 503, body: Array("busy".utf8), stoppedByHandler: false))
        #expect(server.requests.first?.requestLine == "GET /x HTTP/1.1")
        #expect(server.requests.first?.body == [])
    }

    @Test func aRedirectIsFollowedAndTheLastStatusCounts() throws {
        let target = try ScriptedHTTPServer { _ in [.send(Self.answer(200, "there"))] }
        defer { target.stop() }
        let server = try ScriptedHTTPServer { _ in [.send(Self.answer(302, "", headers: "Location: \(target.base)/final\r\n"))] }
        defer { server.stop() }
        let response = try CurlTransfer.request(Self.request(.get, server.base + "/first"))
        #expect(response.status == 200 && response.body == Array("there".utf8))
        #expect(target.requests.first?.requestLine == "GET /final HTTP/1.1")
    }

    @Test func anAnswerOverTheLimitEndsTheTransfer() throws {
        let body = String(repeating: "x", count: 5000)
        let server = try ScriptedHTTPServer { _ in [.send(Self.answer(200, body))] }
        defer { server.stop() }
        #expect(throws: TransferError.tooLarge(limit: 4096)) {
            try CurlTransfer.request(Self.request(.get, server.base, maxAnswerBytes: 4096))
        }
        // Chunked, without a Content-Length: the bytes read are counted.
        let chunked = try ScriptedHTTPServer { _ in
            [.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), .send("1000\r\n" + String(repeating: "y", count: 4096) + "\r\n"),
             .send("10\r\n" + String(repeating: "z", count: 16) + "\r\n"), .awaitClientClose]
        }
        defer { chunked.stop() }
        #expect(throws: TransferError.tooLarge(limit: 4100)) {
            try CurlTransfer.request(Self.request(.get, chunked.base, maxAnswerBytes: 4100))
        }
    }

    @Test func aSilentServerTimesOutAtTheDeadline() throws {
        let server = try ScriptedHTTPServer { _ in [.awaitClientClose] }
        defer { server.stop() }
        let start = ContinuousClock.now
        #expect(throws: TransferError.timedOut) {
            try CurlTransfer.request(Self.request(.get, server.base, timeout: .milliseconds(300)))
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(3))
        #expect(throws: TransferError.timedOut) {
            try CurlTransfer.request(Self.request(.get, server.base, timeout: .zero))
        }
    }

    @Test func transportFailuresHaveFixedReasons() throws {
        let port = try closedLoopbackPort()
        #expect(throws: TransferError.network(code: 7, reason: "connection refused")) {
            try CurlTransfer.request(Self.request(.get, "http://127.0.0.1:\(port)/secret?token=T"))
        }
        let silent = try ScriptedHTTPServer { _ in [] }  // closes without answering
        defer { silent.stop() }
        #expect(throws: TransferError.network(code: 52, reason: "empty response")) {
            try CurlTransfer.request(Self.request(.get, silent.base))
        }
        let short = try ScriptedHTTPServer { _ in [.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")] }
        defer { short.stop() }
        #expect(throws: TransferError.truncated(expected: 10, received: 3)) {
            try CurlTransfer.request(Self.request(.get, short.base))
        }
        #expect(throws: TransferError.invalidURL) { try CurlTransfer.request(Self.request(.get, "ftp://127.0.0.1/x")) }
        #expect(throws: TransferError.invalidURL) { try CurlTransfer.request(Self.request(.get, "file:///etc/passwd")) }
        #expect(throws: TransferError.network(code: 43, reason: "a request header holds a line break")) {
            try CurlTransfer.request(Self.request(.get, "http://127.0.0.1:\(port)/", headers: ["Authorization: Bearer k\r\nX-Injected: 1"]))
        }
    }

    @Test func theChunkHandlerSeesTheStatusAndBlocksAndMayStopTheTransfer() throws {
        let server = try ScriptedHTTPServer { _ in
            [.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"), .send("first;"), .pause(.milliseconds(100)),
             .send("last;"), .awaitClientClose]
        }
        defer { server.stop() }
        var seen = ""
        var statuses: Set<Int> = []
        let start = ContinuousClock.now
        let response = try CurlTransfer.request(Self.request(.post, server.base, body: "{}", timeout: .seconds(8)), onChunk: { status, chunk in
            statuses.insert(status)
            seen += String(decoding: chunk, as: UTF8.self)
            return !seen.hasSuffix("last;")
        })
        #expect(response == CurlTransfer.Response(status: 200, body: [], stoppedByHandler: true))
        #expect(seen == "first;last;")
        #expect(statuses == [200])
        // The connection was closed at once, not at the timeout.
        #expect(eventually(timeout: .seconds(5)) { !server.clientClosedAt.withLock { $0 }.isEmpty })
        #expect(ContinuousClock.now - start < .seconds(4))
    }

    @Test func cancellationEndsATransfer() throws {
        let server = try ScriptedHTTPServer { _ in [.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab"), .awaitClientClose] }
        defer { server.stop() }
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(200)
        #expect(throws: TransferError.cancelled) {
            try CurlTransfer.request(Self.request(.get, server.base, timeout: .seconds(8)), cancelled: { ContinuousClock.now > deadline })
        }
        #expect(ContinuousClock.now - start < .seconds(4))
        #expect(throws: TransferError.cancelled) {
            try CurlTransfer.request(Self.request(.get, server.base), cancelled: { true })
        }
    }
}

/// ``ChatCompletionClient`` streaming from a loopback server over libcurl.
@Suite struct LLMClientTransportTests {
    static let key = "sk-test-KEY-0123"
    static let request = ChatCompletionRequest(model: "m", messages: [ChatMessage(role: "user", content: "hi")])
    static let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"

    static func client(_ server: ScriptedHTTPServer) -> ChatCompletionClient {
        ChatCompletionClient(baseURL: server.base + "/v1/", apiKey: key)
    }

    @Test func deltasArriveInOrderAndReadingStopsAtDone() throws {
        // After [DONE] the server keeps the connection open: the client must not wait for its end.
        let server = try ScriptedHTTPServer { _ in
            [.send(Self.head), .send(ChatCompletionStreamTests.chunk("Hel")), .pause(.milliseconds(50)),
             .send(ChatCompletionStreamTests.chunk("lo", finish: "stop")), .send("data: [DONE]\n\n"), .awaitClientClose]
        }
        defer { server.stop() }
        let deltas = Locked<[ChatDelta]>([])
        let start = ContinuousClock.now
        let outcome = Self.client(server).complete(Self.request, timeout: .seconds(8)) { delta in deltas.withLock { $0.append(delta) } }
        #expect(outcome.result == .success(ChatCompletion(content: "Hello", reasoning: "", deltas: 2, finishReason: "stop")))
        #expect(deltas.withLock { $0 } == [ChatDelta(content: "Hel"), ChatDelta(content: "lo")])
        #expect(outcome.timeToFirstDelta.map { $0 < .seconds(4) } == true)
        #expect(ContinuousClock.now - start < .seconds(4))
        #expect(eventually(timeout: .seconds(5)) { !server.clientClosedAt.withLock { $0 }.isEmpty })
        let sent = try #require(server.requests.first)
        #expect(sent.requestLine == "POST /v1/chat/completions HTTP/1.1")
        #expect(sent.header("authorization") == "Bearer \(Self.key)")
        #expect(sent.header("accept") == "text/event-stream")
        #expect(sent.header("content-type") == "application/json")
        #expect(sent.body == [UInt8](Self.request.jsonBody()))
    }

    @Test func anErrorStatusCarriesTheServersMessageWithoutTheKey() throws {
        let body = #"{"error":{"message":"Incorrect API key provided: \#(Self.key)"}}"#
        let server = try ScriptedHTTPServer { _ in [.send(CurlTransferTests.answer(401, body))] }
        defer { server.stop() }
        let outcome = Self.client(server).complete(Self.request, timeout: .seconds(5))
        #expect(outcome.result == .failure(.status(401, message: "Incorrect API key provided: ***")))
    }

    @Test func aServerThatNeverAnswersTimesOutAfterTheWholeAnswersLimit() throws {
        let server = try ScriptedHTTPServer { _ in [.send(Self.head), .send(ChatCompletionStreamTests.chunk("slow")), .awaitClientClose] }
        defer { server.stop() }
        let start = ContinuousClock.now
        let outcome = Self.client(server).complete(Self.request, timeout: .milliseconds(400))
        #expect(outcome.result == .failure(.timedOut(afterMS: 400)))
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func transportFailuresAreFixedReasons() throws {
        let refused = ChatCompletionClient(baseURL: "http://127.0.0.1:\(try closedLoopbackPort())/v1", apiKey: Self.key)
        #expect(refused.complete(Self.request, timeout: .seconds(5)).result == .failure(.connection("connection refused")))
        #expect(LLMError.connection("connection refused").description == "cannot connect: connection refused")
        // The stream breaks off after its head and a delta.
        let cut = try ScriptedHTTPServer { _ in
            [.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 5000\r\n\r\n"), .send(ChatCompletionStreamTests.chunk("par"))]
        }
        defer { cut.stop() }
        #expect(Self.client(cut).complete(Self.request, timeout: .seconds(5)).result == .failure(.truncated))
        let ftp = ChatCompletionClient(baseURL: "ftp://127.0.0.1/v1")
        #expect(ftp.complete(Self.request, timeout: .seconds(5)).result == .failure(.connection("base_url is not an http(s) URL")))
    }
}

/// ``WeComAPIClient``'s JSON calls over libcurl: what each transport outcome becomes.
@Suite struct ActiveSendClientTransportTests {
    @Test func aRefusedConnectionIsANetworkErrorWithLibcurlsCode() throws {
        let client = WeComAPIClient(apiBase: "http://127.0.0.1:\(try closedLoopbackPort())")
        #expect(throws: WeComAPIError.network(code: 7, reason: "connection refused")) {
            try client.getToken(corpID: AS.corpID, corpSecret: AS.secret)
        }
        #expect(WeComAPIError.network(code: 7, reason: "connection refused").description == "network error 7: connection refused")
    }

    @Test func theTimeoutIsANetworkErrorButASoonerDeadlineIsTheTokenCaches() throws {
        let server = try ScriptedHTTPServer { _ in [.awaitClientClose] }
        defer { server.stop() }
        let client = WeComAPIClient(apiBase: server.base, timeout: .milliseconds(300))
        let start = ContinuousClock.now
        #expect(throws: WeComAPIError.network(code: 28, reason: "timed out")) {
            try client.sendMessage(Data("{}".utf8), accessToken: AS.token)
        }
        #expect(throws: WeComAPIError.network(code: 28, reason: "timed out")) {
            try client.getToken(corpID: AS.corpID, corpSecret: AS.secret, deadline: .now + .seconds(10))
        }
        #expect(throws: WeComAPIError.tokenUnavailable(AccessTokenCache.deadlineReason)) {
            try client.getToken(corpID: AS.corpID, corpSecret: AS.secret, deadline: .now + .milliseconds(100))
        }
        #expect(throws: WeComAPIError.tokenUnavailable(AccessTokenCache.deadlineReason)) {
            try client.getToken(corpID: AS.corpID, corpSecret: AS.secret, deadline: .now - .seconds(1))
        }
        #expect(ContinuousClock.now - start < .seconds(4))
    }

    @Test func aHugeAnswerIsAnInvalidResponseAndAnErrorStatusIsKept() throws {
        let huge = #"{"errcode":0,"pad":""# + String(repeating: "x", count: 70000) + #""}"#
        let server = try ScriptedHTTPServer { request in
            request.requestLine.hasPrefix("GET") ? [.send(CurlTransferTests.answer(200, huge))] : [.send(CurlTransferTests.answer(502, "bad gateway"))]
        }
        defer { server.stop() }
        let client = WeComAPIClient(apiBase: server.base)
        #expect(throws: WeComAPIError.invalidResponse("answer larger than 65536 bytes")) {
            try client.getToken(corpID: AS.corpID, corpSecret: AS.secret)
        }
        #expect(throws: WeComAPIError.httpStatus(502)) { try client.sendMessage(Data("{}".utf8), accessToken: AS.token) }
        let posted = try #require(server.requests.last)
        #expect(posted.requestLine == "POST /cgi-bin/message/send?access_token=\(AS.token) HTTP/1.1")
        #expect(posted.header("content-type") == "application/json; charset=utf-8")
        #expect(posted.body == Array("{}".utf8))
    }
}
