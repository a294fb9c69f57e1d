import Foundation
import Logging
import Testing
@testable import WeComCallback

/// Whether a process with this pid exists (a zombie counts: it is not reaped yet).
private func exists(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
}

/// `[server] max_programs` and the shutdown of running programs (issue 11, defect 5).
@Suite struct ProgramSupervisorTests {
    /// A processor whose exec route runs `script` (sh) in `dir` under `programs`, with `extra` route keys.
    func processor(_ script: String, dir: URL, programs: ProgramSupervisor, metrics: ServiceMetrics? = nil,
                   extra: String = "", replyBudget: TimeInterval = 4) throws -> RoutingProcessor {
        let config = try Configuration.parse(RT.header + """
            [[app.route]]
            action = "exec"
            command = ["/bin/sh", "-c", "\(script)"]
            timeout_ms = 30000
            \(extra)
            """, environment: RT.secrets.merging(["DIR": dir.path]) { a, _ in a })
        return RoutingProcessor(appName: "helpdesk", router: Router(routes: config.apps[0].routes),
                                logger: Logger(label: "test"), now: RT.clock, deliveries: InMemoryDeliveryStore(capacity: 0),
                                replyBudget: replyBudget, metrics: metrics, programs: programs)
    }

    /// Records that it started, then blocks until `$DIR/release` exists (the test's release, not a timing).
    static let blocking = "cat >/dev/null; echo started >> $DIR/started; while [ ! -e $DIR/release ]; do sleep 0.05; done; echo done"

    /// Lets the blocked programs finish.
    func release(_ dir: URL) {
        #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent("release").path, contents: nil))
    }

    func lines(_ url: URL) -> [String] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func theProgramOverTheLimitIsRefusedWithOnErrorAndCounted() throws {
        let dir = try RT.temporaryDirectory()
        let programs = ProgramSupervisor(limit: 2)
        let metrics = ServiceMetrics()
        // A short budget: the two blocked deliveries are answered empty while their programs keep running.
        let p = try processor(Self.blocking, dir: dir, programs: programs, metrics: metrics,
                              extra: "on_error = \"busy, {{FromUserName}}\"", replyBudget: 0.2)
        #expect(RT.run(p, RT.text("one")) == .noReply)
        #expect(RT.run(p, RT.text("two")) == .noReply)
        #expect(programs.running == 2)
        #expect(RT.run(p, RT.text("three", from: "lisi")) == RT.expected(.text("busy, lisi"), to: "lisi"))
        metrics.programsRunning(programs.running)  // as the status endpoint does before rendering
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains(#"wecom_programs_refused_total{app="helpdesk"} 1"#))
        #expect(text.contains("\nwecom_programs_running 2.0\n"))

        // Released, the two finish and free their places: the next message runs its program.
        release(dir)
        #expect(eventually { programs.running == 0 })
        #expect(lines(dir.appendingPathComponent("started")) == ["started", "started"])  // the refused one never ran
        #expect(RT.run(p, RT.text("four")) == RT.expected(.text("done")))
    }

    @Test func withoutOnErrorARefusedMessageGetsNoReply() throws {
        let dir = try RT.temporaryDirectory()
        let programs = ProgramSupervisor(limit: 1)
        let p = try processor(Self.blocking, dir: dir, programs: programs, replyBudget: 0.2)
        #expect(RT.run(p, RT.text("one")) == .noReply)
        #expect(RT.run(p, RT.text("two")) == .noReply)
        #expect(eventually { lines(dir.appendingPathComponent("started")).count == 1 })
        release(dir)
        #expect(eventually { programs.running == 0 })
        #expect(lines(dir.appendingPathComponent("started")) == ["started"])
    }

    @Test func shutdownWaitsForAProgramThatEndsBeforeTheDeadline() throws {
        let dir = try RT.temporaryDirectory()
        let programs = ProgramSupervisor(limit: 4)
        let p = try processor(Self.blocking, dir: dir, programs: programs, replyBudget: 0.2)
        #expect(RT.run(p, RT.text("one")) == .noReply)
        #expect(eventually { lines(dir.appendingPathComponent("started")).count == 1 })
        let releaser = Thread { [self] in
            usleep(300_000)
            release(dir)
        }
        releaser.start()
        let report = programs.shutdown(deadline: .now + .seconds(30))
        #expect(report == ProgramSupervisor.ShutdownReport(runningAtStart: 1, killedGroups: 0, unfinished: 0))
        #expect(programs.running == 0)
    }

    @Test func shutdownKillsTheGroupsStillRunningAtTheDeadlineAndAdmitsNoMore() throws {
        let dir = try RT.temporaryDirectory()
        let programs = ProgramSupervisor(limit: 4)
        // `exec`: the recorded pid is the sleeping program itself, reaped by its thread once killed.
        let p = try processor("cat >/dev/null; echo $$ >> $DIR/pids; exec sleep 30", dir: dir, programs: programs,
                              extra: "on_error = \"failed\"", replyBudget: 0.2)
        #expect(RT.run(p, RT.text("one")) == .noReply)
        #expect(RT.run(p, RT.text("two")) == .noReply)
        #expect(eventually { lines(dir.appendingPathComponent("pids")).count == 2 })
        let pids = lines(dir.appendingPathComponent("pids")).compactMap { pid_t($0) }
        try #require(pids.count == 2)
        #expect(pids.allSatisfy(exists))

        let report = programs.shutdown(deadline: .now + .milliseconds(200))
        #expect(report == ProgramSupervisor.ShutdownReport(runningAtStart: 2, killedGroups: 2, unfinished: 0))
        #expect(!pids.contains(where: exists))
        // Once shut down, nothing more starts.
        #expect(RT.run(p, RT.text("three")) == RT.expected(.text("failed")))
        #expect(lines(dir.appendingPathComponent("pids")).count == 2)
    }

    @Test func theSupervisorIsKeptAcrossReloadsAndTakesTheNewLimit() throws {
        let toml = RT.header + "[[app.route]]\naction = \"echo\"\n"
        let first = try Configuration.parse("[server]\nmax_programs = 5\n" + toml, environment: RT.secrets)
            .makeServer(logger: Logger(label: "test"))
        #expect(first.runtime.programs.limit == 5)
        let second = try Configuration.parse("[server]\nmax_programs = 3\n" + toml, environment: RT.secrets)
            .makeServer(logger: Logger(label: "test"), runtime: first.runtime)
        #expect(second.runtime.programs === first.runtime.programs)
        #expect(first.runtime.programs.limit == 3)
        let processor = try #require(second.apps.first?.processor as? RoutingProcessor)
        #expect(processor.programs === first.runtime.programs)
    }

    @Test func maxProgramsIsValidatedAndDefaultsToTwiceTheCoresAtLeastEight() throws {
        let toml = RT.header + "[[app.route]]\naction = \"echo\"\n"
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(try Configuration.parse(toml, environment: RT.secrets).server.maxPrograms == max(8, 2 * cores))
        #expect(try Configuration.parse("[server]\nmax_programs = 1\n" + toml, environment: RT.secrets).server.maxPrograms == 1)
        for bad in ["0", "4097", "\"8\""] {
            do {
                _ = try Configuration.parse("[server]\nmax_programs = \(bad)\n" + toml, environment: RT.secrets)
                Issue.record("max_programs = \(bad) was accepted")
            } catch {
                #expect(error.problems.map(\.description).first?.hasPrefix("server.max_programs: ") == true)
            }
        }
        do {
            _ = try Configuration.parse("[server]\nmax_programs = 0\n" + toml, environment: RT.secrets)
        } catch {
            #expect(error.problems.map(\.description) == ["server.max_programs: must be between 1 and 4096 (line 2)"])
        }
    }
}
