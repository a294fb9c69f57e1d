/// What the transport calls for every request: request in, response out.
///
/// Called concurrently from every worker thread, so implementations must be thread-safe. The call is
/// synchronous; a worker serves one request at a time.
public protocol FastCGIResponder: Sendable {
    /// Answers one request.
    /// - Parameter request: the parameters and body the web server sent.
    /// - Returns: the response to write back.
    func respond(to request: FastCGIRequest) -> FastCGIResponse
}
