import Foundation
import Testing
@testable import WeComCallback

/// The file descriptors an `exec` program starts with (issue 11, defect 1).
@Suite struct ExecDescriptorTests {
    /// Lists the shell's own descriptors (`$$`; `; true` keeps dash from exec-ing `ls` in its place, where
    /// `ls` would list the directory it opened).
    static let listFDs = ["/bin/sh", "-c", "ls -1 /proc/$$/fd; true"]

    /// Opens `/dev/null` without close-on-exec, as libfcgi opens accepted connections.
    static func openInheritable() throws -> Int32 {
        let fd = open("/dev/null", O_RDONLY)
        try #require(fd >= 3)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC == 0)
        return fd
    }

    @Test func runnerStartsAProgramWithExactlyStdinStdoutAndStderr() throws {
        let fd = try Self.openInheritable()
        defer { close(fd) }
        var pair: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)  // no SOCK_CLOEXEC
        defer { pair.forEach { _ = close($0) } }
        let runner = ExecRunner(executable: "/bin/sh", arguments: Self.listFDs, timeoutMS: 10_000, maxOutputBytes: 4096)
        let outcome = runner.run(input: Array("{}".utf8), environment: [:])
        #expect(outcome.failure == nil)
        #expect(String(decoding: outcome.stdout, as: UTF8.self).split(separator: "\n") == ["0", "1", "2"])
    }

    @Test func execRouteProgramSeesOnlyItsOwnThreeDescriptors() throws {
        let fd = try Self.openInheritable()
        defer { close(fd) }
        // The shell lists its own descriptors on stdout, which becomes the reply text (no redirection or
        // pipe in the shell: dash keeps a saved copy of a redirected descriptor while the command runs).
        let p = try RT.processor(toml: #"""
            [[app.route]]
            action = "exec"
            command = ["/bin/sh", "-c", "cat >/dev/null; ls -1 /proc/$$/fd; true"]
            """#)
        #expect(RT.run(p, RT.text("hi")) == RT.expected(.text("0\n1\n2")))
    }
}
