extension MessagePipeline {
    /// Stage 6: the answer this arrival gives, waiting for a running action at most until `deadline`.
    ///
    /// - a result in time: the passive reply (or an empty 200; a failure without `on_error` is logged by
    ///   the first arrival's request line);
    /// - the budget missed: an empty 200 (WeCom stops retrying); the first arrival logs a warning and
    ///   counts it, and the result goes by active send when it comes (or is dropped without a
    ///   `corp_secret`).
    /// - Parameters:
    ///   - key: the claimed delivery.
    ///   - message: the message.
    ///   - deadline: the end of the reply budget, counted from the request's arrival (monotonic).
    ///   - route: the matching route (for the log line).
    ///   - summary: `MsgType` or `event/<Event>`.
    ///   - isRetry: whether this arrival is a retry.
    ///   - corpID: the `FromUserName` of the reply.
    func deliver(_ key: DeliveryKey, message: InboundMessage, deadline: ContinuousClock.Instant, route: Route?, summary: String,
                 isRetry: Bool, corpID: String) -> ProcessingOutcome.Disposition {
        switch deliveries.answer(for: key, waitingUntil: deadline) {
        case .reply(let reply?, _):
            return .reply(render(reply, to: message, corpID: corpID))
        case .reply(nil, let failure):
            guard !isRetry, let failure else { return .noReply }
            return .failed(failure)
        case .missedBudget:
            if !isRetry {
                counters?.budgetMiss()
                logger.warning("reply budget missed app=\(appName) route=\(route.map { String($0.index) } ?? "-") msg=\(LogText.sanitize(summary, limit: 64)) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)); answered empty, \(activeSender == nil ? "the late result will be dropped (no corp_secret)" : "the result goes by active send")")
            }
            return .noReply
        }
    }
}
