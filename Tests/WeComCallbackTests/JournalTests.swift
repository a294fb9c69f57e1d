import Foundation
import Synchronization
import Logging
import Platform
import Testing
@testable import WeComCallback
#if canImport(Glibc)
import Glibc
#endif

/// The journal's behaviour when the disk fills up, with the failing system calls injected.
@Suite struct JournalTests {
    /// A `write(2)` that, on the call numbered `failOn` (1-based), writes only `partial` bytes, and fails
    /// with ENOSPC on the call after it, like a disk filling up mid-line.
    final class FullDisk: Sendable {
        let calls = LockedValue(0)
        let failOn: Int
        let partial: Int
        let truncateWorks: Bool

        init(failOn: Int, partial: Int, truncateWorks: Bool = true) {
            self.failOn = failOn
            self.partial = partial
            self.truncateWorks = truncateWorks
        }

        var io: Journal.FileIO {
            var io = Journal.FileIO.system
            io.write = { fd, buffer in
                let call = self.calls.withLock { $0 += 1; return $0 }
                switch call {
                case self.failOn: return Glibc.write(fd, buffer.baseAddress, min(self.partial, buffer.count))
                case self.failOn + 1: errno = ENOSPC; return -1
                default: return Glibc.write(fd, buffer.baseAddress, buffer.count)
                }
            }
            if !truncateWorks {
                io.truncate = { _, _ in errno = EIO; return -1 }
            }
            return io
        }
    }

    static let at = Date(timeIntervalSince1970: 1_700_000_000)

    func append(_ journal: Journal, _ content: String) throws(Journal.JournalError) {
        try journal.append(app: "helpdesk", route: 0, messageJSON: Array("{\"Content\":\"\(content)\"}".utf8), receivedAt: Self.at)
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func isJSONObject(_ line: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any]
    }

    @Test func aTornWriteIsTruncatedAwayAndTheNextLineIsWhole() throws {
        let path = try RT.temporaryDirectory().appendingPathComponent("j.jsonl").path
        let disk = FullDisk(failOn: 2, partial: 30)
        let journal = try Journal(path: path, io: disk.io)
        try append(journal, "first")
        #expect(throws: Journal.JournalError(description: "cannot write \(path): No space left on device (errno 28)")) {
            try append(journal, "second")
        }
        try append(journal, "third")
        let found = try lines(path)
        #expect(found.count == 3 && found[2].isEmpty)
        #expect(found.dropLast().allSatisfy(isJSONObject))
        #expect(found[0].contains("first") && found[1].contains("third"))
        #expect(journal.failureCount == 1)
    }

    @Test func aFailedFsyncTakesTheWholeLineBack() throws {
        let path = try RT.temporaryDirectory().appendingPathComponent("j.jsonl").path
        var io = Journal.FileIO.system
        let calls = LockedValue(0)
        io.fsync = { fd in calls.withLock { $0 += 1; return $0 } == 2 ? { errno = EIO; return -1 }() : Glibc.fsync(fd) }
        let journal = try Journal(path: path, io: io)
        try append(journal, "first")
        #expect(throws: Journal.JournalError.self) { try append(journal, "second") }
        try append(journal, "third")
        let found = try lines(path)
        #expect(found.count == 3 && found[0].contains("first") && found[1].contains("third"))
    }

    @Test func whenTruncatingFailsTooTheFragmentStaysALineOfItsOwn() throws {
        let path = try RT.temporaryDirectory().appendingPathComponent("j.jsonl").path
        let disk = FullDisk(failOn: 2, partial: 30, truncateWorks: false)
        let journal = try Journal(path: path, io: disk.io)
        try append(journal, "first")
        #expect(throws: Journal.JournalError.self) { try append(journal, "second") }
        try append(journal, "third")
        try append(journal, "fourth")
        let found = try lines(path)
        #expect(found.count == 5 && found[4].isEmpty)
        #expect(isJSONObject(found[0]) && found[0].contains("first"))
        #expect(found[1].count == 30 && !isJSONObject(found[1]))
        #expect(isJSONObject(found[2]) && found[2].contains("third"))
        #expect(isJSONObject(found[3]) && found[3].contains("fourth"))
    }
}

/// Authenticated messages that fail to parse are journaled too (README: every verified message is).
@Suite struct JournalUnparsedTests {
    func journaled(_ plaintext: [UInt8]) throws -> [String: Any] {
        let path = try RT.temporaryDirectory().appendingPathComponent("j.jsonl").path
        let journal = try Journal(path: path)
        let p = RT.processor([Route(index: 0, action: .echo)], journal: journal)
        guard case .failed = RT.run(p, plaintext) else {
            Issue.record("parsed")
            return [:]
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        return try #require(try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
    }

    @Test func aMessageWithAnOutOfRangeNumberIsJournaledAsBase64() throws {
        let plaintext = Array("<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>99999999999999999999999</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>".utf8)
        let line = try journaled(plaintext)
        #expect(line["received_at"] as? String == "2023-11-14T22:13:20.000Z")
        #expect(line["app"] as? String == "helpdesk")
        #expect(line["route"] is NSNull)
        #expect(line["error"] as? String == "field CreateTime is not a valid number (23 bytes)")
        #expect((line["raw_base64"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) == plaintext)
        #expect(line["message"] == nil)
    }

    @Test func aMessageWithTooManyElementsIsJournaledAsBase64() throws {
        let plaintext = Array(("<xml>" + String(repeating: "<a/>", count: 5000) + "</xml>").utf8)
        let line = try journaled(plaintext)
        #expect(line["error"] as? String == "XML: more than 4096 elements")
        #expect((line["raw_base64"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) == plaintext)
    }

    @Test func theLineEscapesTheAppNameAndTheReason() {
        let line = Journal.unparsedLine(app: "a\"b", error: "x\ny", plaintext: [0, 255], receivedAt: Date(timeIntervalSince1970: 0))
        #expect(String(decoding: line, as: UTF8.self)
            == #"{"received_at":"1970-01-01T00:00:00.000Z","app":"a\"b","route":null,"error":"x\ny","raw_base64":"AP8="}"# + "\n")
    }
}

/// Defect 3 of the pipeline issue: a reload must not open a second writer on a journal's path.
@Suite struct JournalReloadTests {
    @Test func reloadsKeepOneWriterPerPathAndEveryLineWhole() throws {
        let dir = try RT.temporaryDirectory()
        let path = dir.appendingPathComponent("j.jsonl").path
        let config = try Configuration.parse(RT.header + "journal = \"\(path)\"\n[[app.route]]\naction = \"echo\"\n",
                                             environment: RT.secrets)
        let logger = Logger(label: "test")
        let runtime = ServerRuntime(deliveries: InMemoryDeliveryStore(capacity: 0))
        let first = try config.makeServer(logger: logger, runtime: runtime)
        let current = Locked(first)
        let writers = 4, perWriter = 150, reloads = 60
        DispatchQueue.concurrentPerform(iterations: writers + 1) { worker in
            if worker == writers {
                // The reloader: a new configuration each time, with SIGHUP's journal reopen.
                for _ in 0..<reloads {
                    guard let server = try? config.makeServer(logger: logger, runtime: runtime) else { continue }
                    current.withLock { $0 = server }
                    _ = server.reopenJournals()
                }
                return
            }
            for i in 0..<perWriter {
                let server = current.withLock { $0 }
                _ = server.apps[0].processor.process(
                    RT.xml("text", "<Content>w\(worker) #\(i)</Content>", msgID: "\(worker)\(i)"), context: RT.context)
            }
        }
        let last = current.withLock { $0 }
        #expect(last.journals.count == 1)
        #expect(last.journals.first === first.journals.first)  // one writer for the life of the process
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == writers * perWriter)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
    }
}
