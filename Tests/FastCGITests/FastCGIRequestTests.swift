import Testing
@testable import FastCGI

@Suite struct FastCGIRequestTests {
    @Test func pathPrefersDocumentURI() {
        let request = FastCGIRequest(params: ["DOCUMENT_URI": "/wecom/a", "SCRIPT_NAME": "/x", "PATH_INFO": "/y"])
        #expect(request.path == "/wecom/a")
    }

    @Test func pathFallsBackToScriptNamePlusPathInfoThenSlash() {
        #expect(FastCGIRequest(params: ["SCRIPT_NAME": "/cgi", "PATH_INFO": "/cb"]).path == "/cgi/cb")
        #expect(FastCGIRequest(params: [:]).path == "/")
    }

    @Test func contentLengthRejectsNegativeEmptyAndGarbage() {
        #expect(FastCGIRequest(params: ["CONTENT_LENGTH": "12"]).contentLength == 12)
        #expect(FastCGIRequest(params: ["CONTENT_LENGTH": "-1"]).contentLength == nil)
        #expect(FastCGIRequest(params: ["CONTENT_LENGTH": ""]).contentLength == nil)
        #expect(FastCGIRequest(params: ["CONTENT_LENGTH": "12abc"]).contentLength == nil)
        #expect(FastCGIRequest(params: [:]).contentLength == nil)
    }

    @Test func emptyContentTypeAndRemoteAddressAreNil() {
        let request = FastCGIRequest(params: ["CONTENT_TYPE": "", "REMOTE_ADDR": ""])
        #expect(request.contentType == nil && request.remoteAddress == nil)
        #expect(request.requestMethod == "" && request.queryString == "")
    }

    @Test func parametersReadFromCStringsLookUpLikeADictionaryFilledInOrder() {
        var parameters = Parameters()
        for entry in ["REQUEST_METHOD=POST", "QUERY_STRING=a=b&c=d", "NO_EQUALS", "EMPTY=", "N=1", "N=2", "BAD=\u{FF}x"] {
            entry.withCString { parameters.append(entry: $0) }
        }
        // A byte that is not UTF-8 (0xFF) in a C string: appended raw, repaired when read.
        var raw: [CChar] = Array("RAW=a".utf8CString)
        raw.insert(CChar(bitPattern: 0xFF), at: 4)
        raw.withUnsafeBufferPointer { parameters.append(entry: $0.baseAddress!) }
        let request = FastCGIRequest(parameters: parameters, body: [], bodyTooLarge: false)
        #expect(request.requestMethod == "POST")
        #expect(request.queryString == "a=b&c=d")
        #expect(request["N"] == "2")
        #expect(request["EMPTY"] == "")
        #expect(request["NO_EQUALS"] == nil)
        #expect(request["MISSING"] == nil)
        #expect(request["RAW"] == "\u{FFFD}a")
        #expect(request.params == ["REQUEST_METHOD": "POST", "QUERY_STRING": "a=b&c=d", "EMPTY": "", "N": "2",
                                   "BAD": "\u{FF}x", "RAW": "\u{FFFD}a"])
        #expect(request == FastCGIRequest(params: request.params))
    }
}
