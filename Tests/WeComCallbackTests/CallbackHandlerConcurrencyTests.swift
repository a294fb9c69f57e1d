import Foundation
import Logging
import Synchronization
import Testing
@testable import WeComCallback

/// One ``CallbackHandler`` shared by many threads, as the FastCGI workers share it. Run under
/// ThreadSanitizer by `make sanitize` (`swift test --sanitize=thread`); plain runs check the answers.
@Suite struct CallbackHandlerConcurrencyTests {
    static let threads = 8
    static let requestsPerThread = 200

    /// The echo app with credential set B, a real logger handler (swift-log's stream handler to a
    /// discarded level), and the published GET and generated POST requests.
    static func fixture() throws -> (handler: CallbackHandler, requests: [(CallbackRequest, Int)]) {
        let get = Vectors.shared.entry("official-B-get")
        let post = Vectors.shared.entry("gen-01-text-chinese-emoji")
        let c = Vectors.shared.credentials(get)
        let crypt = try WXBizMsgCrypt(token: c.token, encodingAESKey: c.key, receiveID: c.receiveID)
        let echo = MessagePipeline(appName: "demo", router: Router(routes: [Route(index: 0, action: .echo)]),
                                    logger: Logger(label: "concurrency"))
        let app = CallbackApp(name: "demo", path: "/wecom/callback", crypt: crypt, corpID: c.receiveID,
                              processor: echo)
        var logger = Logger(label: "concurrency", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .critical
        let handler = CallbackHandler(apps: [app], logger: logger)
        let postQuery = post.string("request.raw_query_string") ?? ""
        let postBody = Array((post.string("request.body") ?? "").utf8)
        let requests: [(CallbackRequest, Int)] = [
            (CallbackRequest(method: "GET", path: "/wecom/callback",
                             queryString: get.string("request.raw_query_string") ?? ""), 200),
            (CallbackRequest(method: "POST", path: "/wecom/callback", queryString: postQuery, body: postBody), 200),
            (CallbackRequest(method: "POST", path: "/wecom/callback", queryString: postQuery,
                             body: Array(postBody.dropLast(7))), 400),
            (CallbackRequest(method: "POST", path: "/wecom/callback",
                             queryString: postQuery.replacingOccurrences(of: "nonce=1", with: "nonce=2"), body: postBody), 403),
            (CallbackRequest(method: "GET", path: "/elsewhere"), 404),
            (CallbackRequest(method: "PUT", path: "/wecom/callback"), 405),
        ]
        return (handler, requests)
    }

    @Test func oneHandlerServesManyThreadsAtOnce() throws {
        let (handler, requests) = try Self.fixture()
        // The expected bodies, computed on one thread first (the echo reply of the POST is encrypted
        // with a random prefix, so only its status and decryptability are compared).
        let single = requests.map { handler.handle($0.0) }
        for (response, expected) in zip(single, requests.map(\.1)) { #expect(response.status == expected) }

        let failures = LockedValue<[String]>([])
        DispatchQueue.concurrentPerform(iterations: Self.threads) { thread in
            for i in 0..<Self.requestsPerThread {
                let k = (thread + i) % requests.count
                let response = handler.handle(requests[k].0)
                let ok = response.status == requests[k].1
                    && (requests[k].0.method != "GET" || response.body == single[k].body)
                if !ok {
                    failures.withLock { $0.append("thread \(thread) request \(k): status \(response.status)") }
                }
            }
        }
        let found = failures.withLock { $0 }
        #expect(found.isEmpty, "\(found.prefix(5))")
    }

    @Test func repliesMadeConcurrentlyAllDecrypt() throws {
        let (handler, requests) = try Self.fixture()
        let post = requests[1].0
        let crypt = try Vectors.shared.crypt(Vectors.shared.entry("gen-01-text-chinese-emoji"))
        let replies = LockedValue<[[UInt8]]>([])
        DispatchQueue.concurrentPerform(iterations: Self.threads) { _ in
            for _ in 0..<50 {
                let body = handler.handle(post).body
                replies.withLock { $0.append(body) }
            }
        }
        let all = replies.withLock { $0 }
        #expect(all.count == Self.threads * 50)
        for body in all {
            let envelope = try Envelope(parsing: body)
            let frame = try crypt.decrypt(envelope.encrypt)
            #expect(frame.receiveID == crypt.receiveID)
            #expect(String(decoding: frame.message, as: UTF8.self).contains("<MsgType><![CDATA[text]]></MsgType>"))
        }
    }
}
