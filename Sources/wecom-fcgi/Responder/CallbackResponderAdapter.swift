import FastCGI
import WeComCallback

/// Maps the transport's `FastCGIRequest`/`FastCGIResponse` to the core's `CallbackRequest`/`CallbackResponse`
/// and back; the only place that knows both sides.
struct CallbackResponderAdapter<Wrapped: Responder>: FastCGIResponder {
    /// The core (or placeholder) that answers.
    let wrapped: Wrapped

    /// Converts, calls `wrapped.handle`, converts back.
    /// - Parameter request: the request from libfcgi or CGI.
    /// - Returns: the response to write.
    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        let response = wrapped.handle(Self.callbackRequest(from: request))
        return FastCGIResponse(
            status: response.status, contentType: response.contentType, headers: response.headers,
            body: response.body)
    }

    /// The core's view of a transport request.
    /// - Parameter request: the transport request.
    /// - Returns: method, path (`DOCUMENT_URI`, else `SCRIPT_NAME` + `PATH_INFO`), raw query, content type,
    ///   remote address and body.
    static func callbackRequest(from request: FastCGIRequest) -> CallbackRequest {
        CallbackRequest(
            method: request.requestMethod, path: request.path, queryString: request.queryString,
            contentType: request.contentType, remoteAddress: request.remoteAddress, body: request.body,
            bodyTooLarge: request.bodyTooLarge, receivedAt: request.requestStart)
    }
}
