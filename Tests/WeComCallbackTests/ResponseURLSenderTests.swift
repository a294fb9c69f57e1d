import Foundation
import Platform
import Testing
@testable import WeComCallback

/// A one-request HTTP/1.1 server on a free loopback port, standing in for WeCom's response_url.
final class LoopbackHTTPServer: Sendable {
    let port: Int
    private let fd: Int32
    /// The request bytes received (headers and body).
    let received = Locked<[UInt8]?>(nil)

    init(status: Int = 200) throws {
        (fd, port) = try loopbackSocket(listening: 1)
        let listener = fd
        let received = self.received
        Thread {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                request += buffer[0..<n]
                let text = String(decoding: request, as: UTF8.self)
                if let end = text.range(of: "\r\n\r\n") {
                    let length = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    if text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length <= request.count { break }
                }
            }
            let answer = "HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            _ = try? POSIX.writeAll(client, Array(answer.utf8))
            close(client)
            received.withLockAndBroadcast { $0 = request }
        }.start()
    }

    deinit { close(fd) }
}

@Suite struct ResponseURLSenderTests {
    @Test func postsTheMarkdownOnce() throws {
        let server = try LoopbackHTTPServer()
        let sender = CurlResponseURLSender(timeout: .seconds(5))
        #expect(sender.post(responseURLMarkdown("**late** 结果"), to: "http://127.0.0.1:\(server.port)/cgi-bin/aibot/response?token=x") == nil)
        let request = try #require(server.received.wait(until: .now + .seconds(5), while: { $0 == nil }) { r, _ in r })
        let text = String(decoding: request, as: UTF8.self)
        #expect(text.hasPrefix("POST /cgi-bin/aibot/response?token=x HTTP/1.1\r\n"))
        let body = try #require(text.components(separatedBy: "\r\n\r\n").last)
        #expect(body == #"{"markdown":{"content":"**late** 结果"},"msgtype":"markdown"}"#)
    }

    @Test func reportsAnErrorStatusWithoutTheURL() throws {
        let server = try LoopbackHTTPServer(status: 500)
        let problem = CurlResponseURLSender(timeout: .seconds(5)).post(responseURLMarkdown("x"), to: "http://127.0.0.1:\(server.port)/secret")
        #expect(problem == "HTTP 500")
        #expect(CurlResponseURLSender().post(responseURLMarkdown("x"), to: "file:///etc/passwd") == "response_url is not an http(s) URL")
    }

    @Test func transportFailuresAreShortFixedReasons() throws {
        let sender = CurlResponseURLSender(timeout: .milliseconds(300))
        let closed = try closedLoopbackPort()
        #expect(sender.post(responseURLMarkdown("x"), to: "http://127.0.0.1:\(closed)/secret?token=x")
            == "network error: connection refused")
        let silent = try ScriptedHTTPServer { _ in [.awaitClientClose] }
        defer { silent.stop() }
        let start = ContinuousClock.now
        #expect(sender.post(responseURLMarkdown("x"), to: silent.base + "/secret") == "timed out")
        #expect(ContinuousClock.now - start < .seconds(3))
        let created = try ScriptedHTTPServer { _ in [.send(CurlTransferTests.answer(204, ""))] }
        defer { created.stop() }
        #expect(sender.post(responseURLMarkdown("x"), to: created.base) == nil)
        #expect(created.requests.first?.header("content-type") == "application/json; charset=utf-8")
    }
}
