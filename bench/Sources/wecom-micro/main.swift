// Micro-benchmarks: nanoseconds per operation of the WeComCallback core, single thread.
// Usage: wecom-micro [iterations]
// WECOM_MICRO_ONLY=handle (or handle-distinct): runs only that CallbackHandler.handle case `iterations`
// times and prints nothing, for callgrind: `callgrind_annotate --inclusive=yes` lists the handler's
// `handle` as `$s13WeComCallback0C7HandlerC6handle…` (Swift's mangled name); its count ÷ iterations is the
// instructions per call.
import Foundation
import Logging
import WeComCallback

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 20_000
let token = "QDG6eK"
let key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
let corpID = "wx5823bf96d3bd56c7"

/// Runs `body` `iterations` times after a warm-up; prints and returns ns per call (best of 3 rounds).
@discardableResult
func measure(_ name: String, bytes: Int? = nil, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<max(1, iterations / 10) { try body() }
    var best = Double.infinity
    for _ in 0..<3 {
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<iterations { try body() }
        let elapsed = clock.now - start
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, ns / Double(iterations))
    }
    let extra = bytes.map { String(format: "  (%.0f MB/s)", Double($0) / best * 1e3) } ?? ""
    let padded = name.count < 44 ? name + String(repeating: " ", count: 44 - name.count) : name
    print(padded + String(format: " %10.0f ns/op", best) + extra)
    return best
}

func message(bytes: Int) -> [UInt8] {
    let head = "<xml><ToUserName><![CDATA[\(corpID)]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA["
    let tail = "]]></Content><MsgId>7000000000000000001</MsgId><AgentID>1000002</AgentID></xml>"
    let fill = max(0, bytes - head.utf8.count - tail.utf8.count)
    return Array((head + String(repeating: "x", count: fill) + tail).utf8)
}

let crypt = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: corpID)
let only = ProcessInfo.processInfo.environment["WECOM_MICRO_ONLY"]
if only == nil { print("wecom-micro: \(iterations) iterations per round, best of 3") }
for size in [400, 1024] where only == nil {
    let msg = message(bytes: size)
    let encrypt = try crypt.encrypt(msg)
    let signature = try Signature.compute(token: token, timestamp: "1700000000", nonce: "123456", data: encrypt)
    try measure("verify+decrypt \(msg.count) B", bytes: msg.count) {
        _ = try crypt.decryptMessage(msgSignature: signature, timestamp: "1700000000", nonce: "123456", encrypt: encrypt)
    }
    try measure("encrypt+sign (reply envelope) \(msg.count) B", bytes: msg.count) {
        _ = try crypt.encryptReply(msg, timestamp: "1700000000", nonce: "123456")
    }
}

// The message layer and the whole pipeline for the 400-byte text message.
let text400 = message(bytes: 400)
if only == nil {
    let parsed = try InboundMessage(xml: text400)
    try measure("parse InboundMessage(xml:) \(text400.count) B", bytes: text400.count) {
        _ = try InboundMessage(xml: text400)
    }
    let reply = PassiveReply.echo(for: parsed) ?? .text("")
    measure("render PassiveReply.renderXML (text echo)") {
        _ = reply.renderXML(toUser: parsed.fromUserName, fromUser: corpID, createTime: 1_700_000_000)
    }
}
// The production path: the configuration `make run` serves (one app, echo route), with metrics, and the
// request log line at info through the server's own log handler (to /dev/null), as `serve` runs it.
let devNull = open("/dev/null", O_WRONLY)
enum LogLine { case server, streamLogHandler, off }
func productionHandler(dedupEntries: Int, logLine: LogLine = .server) throws -> CallbackHandler {
    let configuration = try Configuration.parse(
        "[server]\nmax_timestamp_skew_s = 0\ndedup_entries = \(dedupEntries)\n[[app]]\nname = \"bench\"\ncorp_id = \"\(corpID)\"\ntoken = \"\(token)\"\nencoding_aes_key = \"\(key)\"\n[[app.route]]\naction = \"echo\"\n",
        environment: [:])
    let logger = Logger(label: "wecom-fcgi", factory: { label in
        switch logLine {
        case .server: StandardErrorLogHandler(label: label, level: .info, fileDescriptor: devNull)
        case .streamLogHandler: StreamLogHandler.standardError(label: label)  // fd 2 is /dev/null while measured
        case .off: SwiftLogNoOpLogHandler()
        }
    })
    return try configuration.makeServer(logger: logger).makeHandler(logger: logger)
}
let encrypt400 = try crypt.encrypt(text400)
let query400 = "msg_signature=\(try Signature.compute(token: token, timestamp: "1700000000", nonce: "123456", data: encrypt400))"
    + "&timestamp=1700000000&nonce=123456"
let request400 = CallbackRequest(
    method: "POST", path: "/wecom/callback", queryString: query400, contentType: "text/xml",
    body: Array("<xml><ToUserName><![CDATA[\(corpID)]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[\(encrypt400)]]></Encrypt></xml>".utf8))

/// A first delivery under deduplication as `serve` runs it (`dedup_entries` = 10,000): `count` messages
/// with distinct MsgIds, cycled; more of them than the table holds, so each arrival is a first one
/// (the table is full and forgets its oldest finished delivery on every claim, as in steady state).
func distinctRequests(_ count: Int) throws -> [CallbackRequest] {
    try (0..<count).map { index in
        let text = Array(String(decoding: text400, as: UTF8.self)
            .replacingOccurrences(of: "7000000000000000001", with: String(7_000_000_000_000_000_001 + index)).utf8)
        let encrypt = try crypt.encrypt(text)
        let query = "msg_signature=\(try Signature.compute(token: token, timestamp: "1700000000", nonce: "123456", data: encrypt))"
            + "&timestamp=1700000000&nonce=123456"
        return CallbackRequest(
            method: "POST", path: "/wecom/callback", queryString: query, contentType: "text/xml",
            body: Array("<xml><ToUserName><![CDATA[\(corpID)]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[\(encrypt)]]></Encrypt></xml>".utf8))
    }
}
/// Answers `request` and checks it got the encrypted echo (a first delivery), not an empty 200.
func checkReplied(_ handler: CallbackHandler, _ request: CallbackRequest) {
    let response = handler.handle(request)
    guard response.status == 200, response.body.starts(with: Array("<xml>\n<Encrypt>".utf8)) else {
        fatalError("the benchmark request is not answered 200 with a reply envelope")
    }
}

if let only {
    switch only {
    case "handle":
        let handler = try productionHandler(dedupEntries: 0)
        for _ in 0..<iterations { _ = handler.handle(request400) }
    case "handle-distinct":
        let requests = try distinctRequests(16_384)
        let handler = try productionHandler(dedupEntries: 10_000)
        for index in 0..<iterations { _ = handler.handle(requests[index % requests.count]) }
    default:
        FileHandle.standardError.write(Data("wecom-micro: WECOM_MICRO_ONLY must be handle or handle-distinct\n".utf8))
        exit(64)
    }
    exit(0)
}

// With dedup_entries = 0 every arrival is a first delivery under a key of its own: the action runs and
// the reply is encrypted each time (checked below).
for (name, logLine) in [("info log line on", LogLine.server), ("no log line", .off),
                        ("StreamLogHandler to stderr", .streamLogHandler)] {
    let handler = try productionHandler(dedupEntries: 0, logLine: logLine)
    // StreamLogHandler writes to stderr: /dev/null over fd 2 while it runs, so only the table shows.
    let savedStderr = logLine == .streamLogHandler ? dup(2) : -1
    if savedStderr >= 0 { fflush(nil); dup2(devNull, 2) }
    checkReplied(handler, request400)
    checkReplied(handler, request400)
    measure("CallbackHandler.handle, echo, \(text400.count) B, \(name)", bytes: text400.count) {
        _ = handler.handle(request400)
    }
    if savedStderr >= 0 { fflush(nil); dup2(savedStderr, 2); close(savedStderr) }
}
// The same with deduplication on (10,000 entries) and a distinct MsgId per arrival.
let requests = try distinctRequests(16_384)
let distinctHandler = try productionHandler(dedupEntries: 10_000)
for request in requests.prefix(4) { checkReplied(distinctHandler, request) }
var next = 4
measure("CallbackHandler.handle, first delivery, dedup on", bytes: text400.count) {
    _ = distinctHandler.handle(requests[next % requests.count])
    next += 1
}
let dedupHandler = try productionHandler(dedupEntries: 10_000)
checkReplied(dedupHandler, request400)
checkReplied(dedupHandler, request400)
measure("CallbackHandler.handle, a retry from the cache", bytes: text400.count) {
    _ = dedupHandler.handle(request400)
}
