import WeComCallback

/// The seam between the transport and the core: one callback request in, one response out.
///
/// Called concurrently from every worker thread, so conformers must be thread-safe. The core's
/// `CallbackHandler` conforms with `extension CallbackHandler: Responder {}` once it lands.
protocol Responder: Sendable {
    /// Answers one request.
    /// - Parameter request: the request as the transport received it.
    /// - Returns: status, headers and body to send.
    func handle(_ request: CallbackRequest) -> CallbackResponse
}

/// The core answers transport requests directly.
extension CallbackHandler: Responder {}
