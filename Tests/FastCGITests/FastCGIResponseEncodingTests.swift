import Testing
@testable import FastCGI

@Suite struct FastCGIResponseEncodingTests {
    @Test func encodesStatusContentTypeLengthHeadersThenBody() {
        let response = FastCGIResponse(
            status: 405, contentType: "text/plain; charset=utf-8", headers: [(name: "Allow", value: "GET, POST")],
            body: Array("no".utf8))
        #expect(
            response.encoded()
                == Array(
                    ("Status: 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        + "Content-Length: 2\r\nAllow: GET, POST\r\n\r\nno").utf8))
    }

    @Test func emptyBodyHasContentLengthZero() {
        #expect(
            FastCGIResponse(status: 200, body: []).encoded()
                == Array("Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n\r\n".utf8))
    }

    @Test func headerValuesCannotInjectHeaders() {
        let response = FastCGIResponse(
            status: 200, contentType: "text/xml\r\nX-Evil: 1", headers: [(name: "X-A", value: "1\r\n\r\nbody")])
        let head = String(decoding: response.encodedHead(), as: UTF8.self)
        #expect(head == "Status: 200 OK\r\nContent-Type: text/xmlX-Evil: 1\r\nContent-Length: 0\r\nX-A: 1body\r\n\r\n")
    }

    @Test func headerNamesWithColonOrEmptyAreDropped() {
        let response = FastCGIResponse(status: 200, headers: [(name: "A:B", value: "1"), (name: "", value: "2")])
        let head = String(decoding: response.encodedHead(), as: UTF8.self)
        #expect(!head.contains("A:B") && !head.contains(": 2\r\n"))
    }

    @Test func statusOutsideThreeDigitsBecomes500() {
        let head = String(decoding: FastCGIResponse(status: 42).encodedHead(), as: UTF8.self)
        #expect(head.hasPrefix("Status: 500 Internal Server Error\r\n"))
    }
}
