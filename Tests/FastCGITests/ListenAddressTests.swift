import Testing
@testable import FastCGI

@Suite struct ListenAddressTests {
    @Test func parsesTCPAndUnixForms() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:9000") == .tcp(host: "127.0.0.1", port: 9000))
        #expect(try ListenAddress(parsing: ":9000") == .tcp(host: "", port: 9000))
        #expect(try ListenAddress(parsing: "unix:/run/wecom-fcgi/wecom-fcgi.sock")
            == .unix(path: "/run/wecom-fcgi/wecom-fcgi.sock"))
        #expect(try ListenAddress(parsing: "/tmp/a.sock") == .unix(path: "/tmp/a.sock"))
    }

    @Test func rejectsMissingOrBadPortAndEmptyPath() {
        for text in ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "host:port", "unix:", "::1:9000", ""] {
            #expect(throws: FastCGIError.invalidListenAddress(text)) { try ListenAddress(parsing: text) }
        }
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["127.0.0.1:9000", "unix:/run/x.sock"] {
            #expect(try ListenAddress(parsing: text).description == text)
        }
    }

    @Test func socketOwnerParsesNumericIDsAndRejectsUnknownNames() throws {
        let owner = try SocketOwner(parsing: "0:0")
        #expect(owner.userID == 0 && owner.groupID == 0)
        let groupOnly = try SocketOwner(parsing: ":0")
        #expect(groupOnly.userID == nil && groupOnly.groupID == 0)
        #expect(throws: FastCGIError.unknownOwner("no-such-user-wecom:0")) {
            try SocketOwner(parsing: "no-such-user-wecom:0")
        }
        #expect(throws: FastCGIError.unknownOwner(":")) { try SocketOwner(parsing: ":") }
    }
}
