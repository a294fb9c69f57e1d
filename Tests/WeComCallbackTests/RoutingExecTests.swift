import Foundation
import Synchronization
import Testing
@testable import WeComCallback

@Suite struct RoutingExecTests {
    static func script(_ name: String) -> String { RT.fixtures.appendingPathComponent("exec/\(name)").path }

    func processor(_ command: [String], extra: String = "", environment: [String: String] = [:]) throws -> MessagePipeline {
        let argv = command.map { "'\($0)'" }.joined(separator: ", ")
        return try RT.processor(toml: """
            [[app.route]]
            action = "exec"
            command = [\(argv)]
            \(extra)
            """, environment: environment)
    }

    @Test func jsonReplyObjectBecomesThatReply() throws {
        let p = try processor(["/bin/sh", Self.script("reply-json.sh")])
        #expect(RT.run(p, RT.text("hi")) == RT.expected(.text("json for zhangsan via helpdesk")))
    }

    @Test func plainTextReplyWithEnvironmentAndNoSecrets() throws {
        let p = try processor(["python3", Self.script("reply-text.py")])
        #expect(RT.run(p, RT.text("hi")) == RT.expected(.text(
            "got hi WECOM_APP=helpdesk WECOM_MSG_TYPE=text WECOM_EVENT= WECOM_FROM_USER=zhangsan WECOM_AGENT_ID=1000002 WECOM_MSG_ID=7000000000000000001 token=absent")))
    }

    @Test func emptyOutputMeansNoReply() throws {
        let p = try processor(["/bin/sh", Self.script("empty.sh")])
        #expect(RT.run(p, RT.text("hi")) == .noReply)
    }

    @Test func nonZeroExitRepliesOnErrorOrFails() throws {
        let withFallback = try processor(["/bin/sh", Self.script("fail.sh")], extra: "on_error = \"Sorry {{FromUserName}}\"")
        #expect(RT.run(withFallback, RT.text("hi")) == RT.expected(.text("Sorry zhangsan")))
        let without = try processor(["/bin/sh", Self.script("fail.sh")])
        #expect(RT.run(without, RT.text("hi")) == .failed("route 0: exec /bin/sh: exited with status 3"))
    }

    @Test func invalidJSONReplyIsAFailure() throws {
        let p = try processor(["/bin/sh", "-c", #"cat >/dev/null; echo "{\"MsgType\":\"music\"}""#])
        guard case .failed(let why) = RT.run(p, RT.text("hi")) else {
            Issue.record("expected failure")
            return
        }
        #expect(why.hasPrefix("route 0: exec /bin/sh: "))
    }

    @Test func slowProgramIsKilledWithItsGroupWithinTheDeadline() throws {
        let dir = try RT.temporaryDirectory()
        let marker = dir.appendingPathComponent("grandchild-ran").path
        let p = try processor(["/bin/sh", Self.script("sleep.sh")], extra: "timeout_ms = 1000\non_error = \"too slow\"",
                              environment: ["MARKER": marker])
        let started = ContinuousClock.now
        #expect(RT.run(p, RT.text("hi")) == RT.expected(.text("too slow")))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(5))
        #expect(elapsed >= .milliseconds(900))
        // The grandchild would have touched the marker after 3 s had the group survived.
        Thread.sleep(forTimeInterval: 3.5)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func floodingProgramIsKilledAndDoesNotDeadlock() throws {
        let p = try processor(["python3", Self.script("flood.py")], extra: "on_error = \"too much\"")
        let started = ContinuousClock.now
        #expect(RT.run(p, RT.text("hi")) == RT.expected(.text("too much")))
        #expect(ContinuousClock.now - started < .seconds(4))
    }

    @Test func largeStdinIsFedWhileOutputIsDrained() throws {
        // 1 MiB of Content: more than any socket buffer; `cat` echoes it back while we still write.
        let big = String(repeating: "a", count: 1 << 20)
        let runner = ExecRunner(executable: "/bin/cat", arguments: ["cat"], timeoutMS: 4000, maxOutputBytes: 2 << 20)
        let outcome = runner.run(input: Array(big.utf8), environment: [:])
        #expect(outcome.failure == nil)
        #expect(outcome.stdout.count == 1 << 20)
    }

    @Test func slowExecDoesNotDelayOtherRequests() throws {
        // Like the transport: each request on its own thread.
        let slow = try processor(["/bin/sh", "-c", "cat >/dev/null; sleep 2; echo slow"])
        let fast = try processor(["/bin/sh", "-c", "cat >/dev/null; echo fast"])
        let slowDone = DispatchSemaphore(value: 0)
        let slowResult = LockedValue<ProcessingOutcome.Disposition?>(nil)
        Thread.detachNewThread {
            let r = RT.run(slow, RT.text("a"))
            slowResult.withLock { $0 = r }
            slowDone.signal()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let started = ContinuousClock.now
        #expect(RT.run(fast, RT.text("b")) == RT.expected(.text("fast")))
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(slowResult.withLock { $0 } == nil)
        slowDone.wait()
        #expect(slowResult.withLock { $0 } == RT.expected(.text("slow")))
    }

    @Test func terminationDecoding() {
        #expect(ExecRunner.termination(0) == .exited(0))
        #expect(ExecRunner.termination(3 << 8) == .exited(3))
        #expect(ExecRunner.termination(9) == .signaled(9))
    }
}
