import Testing
@testable import FastCGI
import Platform

@Suite struct SystemdSocketTests {
    @Test func countsDescriptorsPassedToThisProcess() throws {
        #expect(try SystemdSocket.passedCount(listenPID: "4242", listenFDs: "1", processID: 4242) == 1)
        #expect(try SystemdSocket.passedCount(listenPID: "4242", listenFDs: "3", processID: 4242) == 3)
    }

    @Test func ignoresVariablesMeantForAnotherProcessOrMissing() throws {
        #expect(try SystemdSocket.passedCount(listenPID: "4241", listenFDs: "1", processID: 4242) == nil)
        #expect(try SystemdSocket.passedCount(listenPID: nil, listenFDs: "1", processID: 4242) == nil)
        #expect(try SystemdSocket.passedCount(listenPID: "4242", listenFDs: nil, processID: 4242) == nil)
        #expect(try SystemdSocket.passedCount(listenPID: "4242", listenFDs: "0", processID: 4242) == nil)
    }

    @Test func rejectsValuesThatAreNotNumbers() {
        #expect(throws: SystemdSocket.ActivationError.self) {
            try SystemdSocket.passedCount(listenPID: "self", listenFDs: "1", processID: 4242)
        }
        #expect(throws: SystemdSocket.ActivationError.self) {
            try SystemdSocket.passedCount(listenPID: "4242", listenFDs: "-1", processID: 4242)
        }
    }

    @Test func takeReturnsNilAndUnsetsTheVariablesWhenTheyNameAnotherProcess() throws {
        setenv("LISTEN_PID", String(getpid() + 1), 1)  // another process
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "wecom-fcgi.socket", 1)
        #expect(try SystemdSocket.take() == nil)
        for name in SystemdSocket.variables { #expect(getenv(name) == nil) }
    }
}
