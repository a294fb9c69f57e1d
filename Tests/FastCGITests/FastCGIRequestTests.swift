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
}
