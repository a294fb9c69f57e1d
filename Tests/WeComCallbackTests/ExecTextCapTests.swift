import Foundation
import Testing
@testable import WeComCallback

/// A program's plain output becomes a text reply of at most 8 KiB (4 messages by active send).
@Suite struct ExecTextCapTests {
    @Test func plainOutputIsCutTo8KiBAtACharacterBoundary() {
        let brace = ExecAction.interpret(Array(repeating: UInt8(ascii: "{"), count: 20_000), command: "p", fallback: nil)
        #expect(brace == .reply(.text(String(repeating: "{", count: 8192))))
        let han = ExecAction.interpret(Array(String(repeating: "中", count: 3000).utf8) + [0x0a], command: "p", fallback: nil)
        #expect(han == .reply(.text(String(repeating: "中", count: 2730))))  // 8190 bytes
        let short = ExecAction.interpret(Array("{not json\n".utf8), command: "p", fallback: nil)
        #expect(short == .reply(.text("{not json")))
    }

    @Test func brokenJSONFromAProgramGoesAsAtMostFourMessages() throws {
        let route = Route(index: 0, action: .exec(ExecAction(
            command: ["/bin/sh", "-c", #"cat >/dev/null; printf '{"MsgType":"text","Content":"'; head -c 60000 /dev/zero | tr '\0' x"#],
            executable: "/bin/sh", timeoutMS: 3000, onError: nil)))
        let sender = RecordingSender()
        #expect(RT.run(RT.processor([route], activeSender: sender), RT.text("x")) == .noReply)
        guard case .reply(.text(let text))? = sender.messages.first?.content else { Issue.record("not sent"); return }
        #expect(text.utf8.count == 8192)
        #expect(text.hasPrefix(#"{"MsgType":"text","Content":"xxx"#))
        #expect(sender.messages.count == 1)
    }
}
