extension CallbackHandler {
    /// Middleware: `[server] status_path` answers Prometheus text to the addresses in `status_allow`
    /// (403 and a notice line for anyone else) before any stage runs.
    /// - Returns: the response for the status path, or `nil` for every other request.
    func serveStatus(_ request: CallbackRequest) -> CallbackResponse? {
        guard let status, let metrics, CallbackApp.normalise(request.path) == status.path else { return nil }
        guard let address = request.remoteAddress, status.allow.contains(address) else {
            logger.notice("\(LogText.sanitize(request.method, limit: 16)) \(LogText.sanitize(request.path)) 403 status endpoint refused for \(LogText.sanitize(request.remoteAddress ?? "-", limit: 64))")
            return Self.error(403, "forbidden")
        }
        status.refresh?()
        return CallbackResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
    }
}
