import FastCGI
import WeComCallback

// The only place that knows both the transport's and the core's request and response types.

extension CallbackRequest {
    /// The core's view of a transport request: method, path (`DOCUMENT_URI`, else `SCRIPT_NAME` +
    /// `PATH_INFO`), raw query, content type, remote address, body and nginx's `REQUEST_START`.
    init(_ request: FastCGIRequest) {
        self.init(
            method: request.requestMethod, path: request.path, queryString: request.queryString,
            contentType: request.contentType, remoteAddress: request.remoteAddress, body: request.body,
            bodyTooLarge: request.bodyTooLarge, receivedAt: request.requestStart)
    }
}

extension FastCGIResponse {
    /// The transport's view of a core response: status, content type, headers and the exact body.
    init(_ response: CallbackResponse) {
        self.init(status: response.status, contentType: response.contentType, headers: response.headers, body: response.body)
    }
}
