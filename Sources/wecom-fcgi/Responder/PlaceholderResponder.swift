import Logging
import WeComCallback

// PLACEHOLDER — replaced by the core's `CallbackHandler` when it is merged (issue #4).
// It exists only so the transport can be built and tested end to end; it does no WeCom work at all.

/// A stand-in responder: `200 ok` for every request, `413` when the body exceeded the transport's limit.
struct PlaceholderResponder: Responder {
    let logger: Logger

    /// Answers `413 body too large` for an oversize body, else `200 ok` (`text/plain`).
    /// - Parameter request: any request.
    /// - Returns: the fixed answer.
    func handle(_ request: CallbackRequest) -> CallbackResponse {
        logger.debug("placeholder: \(request.method) \(request.path) body=\(request.body.count) bytes")
        if request.bodyTooLarge {
            return CallbackResponse(status: 413, body: Array("body too large".utf8))
        }
        return CallbackResponse(status: 200, body: Array("ok".utf8))
    }
}
