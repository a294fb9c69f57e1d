import Foundation
import Synchronization
import Testing
@testable import WeComCallback

/// Records what would go out through `message/send`.
final class RecordingSender: ActiveSending {
    let sent = LockedValue<[ActiveMessage]>([])
    func enqueue(_ message: ActiveMessage) -> Bool {
        sent.withLock { $0.append(message) }
        return true
    }
    var messages: [ActiveMessage] { sent.withLock { $0 } }
}

/// Retries answered once, the reply budget and the active-send fallback (issue 7, spec §6.3–§6.4).
@Suite struct DeliveryTests {
    /// An exec route whose program appends a line to `counter` each run, sleeps, then prints `text`.
    func countingRoute(_ counter: URL, sleep: Double, text: String = "done", timeoutMS: Int = 5000) throws -> Route {
        let script = "cat >/dev/null; echo run >> '\(counter.path)'; sleep \(sleep); printf '%s' '\(text)'"
        let config = try Configuration.parse(
            RT.header + "[[app.route]]\naction = \"exec\"\ncommand = [\"/bin/sh\", \"-c\", \"\(script.replacingOccurrences(of: "\"", with: "\\\""))\"]\ntimeout_ms = \(timeoutMS)\n",
            environment: RT.secrets)
        return try #require(config.apps.first?.routes.first)
    }

    func runs(_ counter: URL) -> Int {
        ((try? String(contentsOf: counter, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func retryOfAFinishedDeliveryGetsTheSameReplyWithoutRunningTheActionAgain() throws {
        let dir = try RT.temporaryDirectory()
        let counter = dir.appendingPathComponent("runs")
        let p = RT.processor([try countingRoute(counter, sleep: 0)], deliveries: InMemoryDeliveryStore())
        let first = RT.run(p, RT.text("hi"))
        let retry = p.process(RT.text("hi"), context: RT.context)
        #expect(first == RT.expected(.text("done")))
        #expect(retry.disposition == first)
        #expect(retry.summary == "text (retry)")
        #expect(runs(counter) == 1)
    }

    @Test func retryWhileTheFirstRunIsInProgressWaitsForIt() async throws {
        let dir = try RT.temporaryDirectory()
        let counter = dir.appendingPathComponent("runs")
        let p = RT.processor([try countingRoute(counter, sleep: 0.6)], deliveries: InMemoryDeliveryStore())
        async let first = Task.detached { RT.run(p, RT.text("hi")) }.value
        try await Task.sleep(for: .milliseconds(200))
        let retry = RT.run(p, RT.text("hi"))
        #expect(retry == RT.expected(.text("done")))
        #expect(await first == RT.expected(.text("done")))
        #expect(runs(counter) == 1)
    }

    @Test func aMissedBudgetAnswersEmptyAndDeliversTheResultOnceByActiveSend() async throws {
        let dir = try RT.temporaryDirectory()
        let counter = dir.appendingPathComponent("runs")
        let sender = RecordingSender()
        let p = RT.processor([try countingRoute(counter, sleep: 2.0)], deliveries: InMemoryDeliveryStore(),
                             replyBudget: 0.3, activeSender: sender)
        let started = ContinuousClock.now
        #expect(RT.run(p, RT.text("hi")) == .noReply)
        // Answered at the budget (0.3 s), not after the program (2 s): 1.2 s of slack for a loaded machine.
        #expect(ContinuousClock.now - started < .milliseconds(1500))
        #expect(RT.run(p, RT.text("hi")) == .noReply)  // a retry during the run: also empty
        // The run ends about 2 s after it started; on a loaded machine perhaps much later. Wait for
        // its result to go out rather than for a fixed time.
        #expect(await eventuallyAsync(timeout: .seconds(30)) { !sender.messages.isEmpty })
        #expect(RT.run(p, RT.text("hi")) == .noReply)  // a retry after the run: still empty
        #expect(sender.messages == [ActiveMessage(toUser: "zhangsan", agentID: 1000002, content: .reply(.text("done")))])
        #expect(runs(counter) == 1)
    }

    @Test func aLateResultWithoutActiveSendIsDropped() async throws {
        let dir = try RT.temporaryDirectory()
        let counter = dir.appendingPathComponent("runs")
        var p = RT.processor([try countingRoute(counter, sleep: 0.5)], deliveries: InMemoryDeliveryStore(), replyBudget: 0.1)
        let log = LogRecorder()
        p.logger = log.logger()
        #expect(RT.run(p, RT.text("hi")) == .noReply)
        // The run ends about 0.5 s after it started; on a loaded machine perhaps much later. Wait for
        // its result to be dropped rather than for a fixed time.
        #expect(await eventuallyAsync(timeout: .seconds(30)) { log.all.contains { $0.contains("late reply dropped app=helpdesk route=0") } })
        #expect(RT.run(p, RT.text("hi")) == .noReply)
        #expect(runs(counter) == 1)
    }

    @Test func distinctEventsInTheSameSecondAreEachHandled() throws {
        let dir = try RT.temporaryDirectory()
        let counter = dir.appendingPathComponent("runs")
        let p = RT.processor([try countingRoute(counter, sleep: 0)], deliveries: InMemoryDeliveryStore())
        let a = RT.event("change_contact", "<ChangeType>delete_user</ChangeType><UserID>a</UserID>", from: "sys")
        let b = RT.event("change_contact", "<ChangeType>delete_user</ChangeType><UserID>b</UserID>", from: "sys")
        _ = RT.run(p, a)
        _ = RT.run(p, b)
        _ = RT.run(p, a)  // a retry of a
        #expect(runs(counter) == 2)
    }

    @Test func keysUseMsgIdElseTheSHA256OfThePlaintext() {
        #expect(DeliveryKey(app: "x", msgID: "42", plaintext: [1]).rawValue == "x\u{0}42")
        #expect(DeliveryKey(app: "x", msgID: nil, plaintext: Array("abc".utf8)).rawValue
                == "x\u{0}sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(DeliveryKey(app: "y", msgID: "42", plaintext: [1]) != DeliveryKey(app: "x", msgID: "42", plaintext: [1]))
    }

    /// The hash is computed once from the text; a changed text gets its own.
    @Test func keysHashAndCompareByTheirText() {
        var key = DeliveryKey(rawValue: "app\u{0}1")
        let two = DeliveryKey(app: "app", msgID: "2", plaintext: [])
        #expect(key != two)
        key.rawValue = "app\u{0}2"
        #expect(key == two)
        #expect(key.hashValue == two.hashValue)
        #expect(key.hashValue == DeliveryKey(rawValue: "app" + "\u{0}" + String(2)).hashValue)
        var table: [DeliveryKey: Int] = [:]
        for index in 0..<1000 { table[DeliveryKey(rawValue: "app\u{0}\(index)")] = index }
        #expect(table.count == 1000)
        #expect((0..<1000).allSatisfy { table[DeliveryKey(app: "app", msgID: String($0), plaintext: [])] == $0 })
        #expect(table[DeliveryKey(rawValue: "app\u{0}1000")] == nil)
        #expect(table[key] == 2)
    }

    @Test func textOverThePassiveLimitGoesWholeByActiveSend() throws {
        let long = String(repeating: "中", count: 1000)  // 3000 bytes
        let route = Route(index: 0, action: .text(try MessageTemplate(long)))
        let sender = RecordingSender()
        #expect(RT.run(RT.processor([route], activeSender: sender), RT.text("x")) == .noReply)
        #expect(sender.messages.map(\.content) == [.reply(.text(long))])
        // Without active send the passive reply is cut at a character boundary.
        guard case .reply(let xml) = RT.run(RT.processor([route]), RT.text("x")) else { Issue.record("no reply"); return }
        #expect(String(decoding: xml, as: UTF8.self).contains(String(repeating: "中", count: 682) + "]]>"))
    }

    @Test func sendAPIOnlyRepliesOfAProgramGoByActiveSend() throws {
        let route = Route(index: 0, action: .exec(ExecAction(
            command: ["/bin/sh", "-c", #"cat >/dev/null; echo '{"MsgType":"markdown","Content":"**hi**"}'"#],
            executable: "/bin/sh", timeoutMS: 3000, onError: nil)))
        let sender = RecordingSender()
        #expect(RT.run(RT.processor([route], activeSender: sender), RT.text("x")) == .noReply)
        guard case .activeOnly(let reply)? = sender.messages.first?.content else { Issue.record("not sent"); return }
        #expect(reply.msgType == "markdown")
    }

    @Test func journalMarksRetries() throws {
        let dir = try RT.temporaryDirectory()
        let journal = try Journal(path: dir.appendingPathComponent("j.jsonl").path)
        let p = RT.processor([Route(index: 0, action: .echo)], journal: journal, deliveries: InMemoryDeliveryStore())
        _ = RT.run(p, RT.text("hi"))
        _ = RT.run(p, RT.text("hi"))
        let lines = try String(contentsOf: dir.appendingPathComponent("j.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!lines[0].contains("\"retry\":true"))
        #expect(lines[1].contains("\"route\":0,\"retry\":true,\"message\":"))
    }

    @Test func moreSlowProgramsThanCoresAllStartAtOnce() async throws {
        // Each program records its start, sleeps 3 s, then records its end. With a budget of 0.1 s every
        // request returns at once; all 6 programs must have started before the first one ends. (When
        // programs ran on GCD's global queue, about one per core ran at a time: a start came after an
        // end.) The order, not the clock, is checked, so a slow machine only has to start 6 programs
        // within 3 s.
        let dir = try RT.temporaryDirectory()
        let log = dir.appendingPathComponent("log")
        let config = try Configuration.parse(
            RT.header + "[[app.route]]\naction = \"exec\"\ncommand = [\"/bin/sh\", \"-c\", \"cat >/dev/null; echo start >> '\(log.path)'; sleep 3; echo end >> '\(log.path)'\"]\ntimeout_ms = 10000\n",
            environment: RT.secrets)
        let route = try #require(config.apps.first?.routes.first)
        let p = RT.processor([route], deliveries: InMemoryDeliveryStore(), replyBudget: 0.1)
        for i in 0..<6 {
            _ = p.process(RT.xml("text", "<Content>slow \(i)</Content>", msgID: "77\(i)"), context: RT.context)
        }
        func lines() -> [Substring] { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n") }
        #expect(await eventuallyAsync(timeout: .seconds(60)) { lines().filter { $0 == "end" }.count == 6 })
        let order = lines()
        #expect(order.count == 12)
        #expect(order.prefix(6).allSatisfy { $0 == "start" }, "\(order)")
    }
}
