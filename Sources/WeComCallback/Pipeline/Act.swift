import Foundation

extension MessagePipeline {
    /// Stage 5: runs the route's action for the first arrival and records its result in the store.
    ///
    /// Template actions take microseconds and run inline. A program may be slow: it runs on a thread
    /// of the ``ProgramSupervisor`` beside the request (which waits in ``deliver(_:message:deadline:route:summary:isRetry:corpID:)``
    /// at most until its budget ends) and keeps running up to its own `timeout_ms`. A result that comes
    /// after the delivery missed its budget reaches the user once through active send.
    /// - Parameters:
    ///   - route: the matching route, or `nil` (no reply).
    ///   - message: the message.
    ///   - summary: `MsgType` or `event/<Event>`, for log lines.
    ///   - key: the claimed delivery.
    func act(_ route: Route?, message: InboundMessage, summary: String, key: DeliveryKey) {
        guard let route else {
            _ = deliveries.finish(key, reply: nil, failure: nil)
            return
        }
        guard route.action.runsBesideRequest else {
            let (reply, failure) = run(route, message: message, summary: summary)
            finish(key, reply: reply, failure: failure, route: route, message: message, summary: summary)
            return
        }
        let job = RunningAction(pipeline: self, route: route, message: message, summary: summary, key: key)
        guard programs.start({ slot in job.run(in: slot) }) else {
            // Over `max_programs` (or shutting down): the program does not start.
            let fallback = route.action.onErrorReply(for: message)
            counters?.programRefused()
            logger.warning("program refused app=\(appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)): \(programs.isShuttingDown ? "shutting down" : "max_programs=\(programs.limit) already running"); \(fallback == nil ? "no reply" : "sent on_error")")
            finish(key, reply: fallback, failure: nil, route: route, message: message, summary: summary)
            return
        }
    }

    /// A program run for one delivery, beside the request that waits for it.
    struct RunningAction: Sendable {
        let pipeline: MessagePipeline
        let route: Route
        let message: InboundMessage
        let summary: String
        let key: DeliveryKey

        /// Runs the action in a ``ProgramSupervisor`` slot (on the supervisor's thread) and records its result.
        func run(in slot: ProgramSupervisor.Slot) {
            let (reply, failure) = pipeline.run(route, message: message, summary: summary, slot: slot)
            pipeline.finish(key, reply: reply, failure: failure, route: route, message: message, summary: summary)
        }
    }

    /// Records an action's result; a result nobody can answer with any more goes out by active send.
    func finish(_ key: DeliveryKey, reply: PassiveReply?, failure: String?, route: Route, message: InboundMessage, summary: String) {
        guard case .deliverLate(let reply, let failure) = deliveries.finish(key, reply: reply, failure: failure) else { return }
        // The request was already answered empty: the result reaches the user once, actively.
        if let failure {
            logger.error("late action failed app=\(appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) error=\"\(LogText.sanitize(failure))\"")
        }
        guard let reply else { return }
        if !sendActively(.reply(reply), to: message) {
            logger.warning("late reply dropped app=\(appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)): no active sender")
        }
    }

    /// Runs a route's action.
    /// - Returns: the passive reply to give (or `nil`), and a failure reason to log when the action failed
    ///   without an `on_error` reply (a failure with one is logged here).
    func run(_ route: Route, message: InboundMessage, summary: String, slot: ProgramSupervisor.Slot? = nil) -> (PassiveReply?, String?) {
        let context = ActionContext(appName: appName, routeIndex: route.index, logger: logger, metrics: metrics, slot: slot,
                                    conversations: conversations, media: media)
        let result = route.action.run(for: message, context: context)
        switch result {
        case .noReply:
            return (nil, nil)
        case .reply(let reply):
            // Text over the passive limit goes out whole by active send when the app can.
            if case .text(let text) = reply, text.utf8.count > PassiveReply.Limit.textContent,
               sendActively(.reply(reply), to: message) {
                return (nil, nil)
            }
            return (reply, nil)
        case .activeOnly(let reply, let fallback, let source):
            if sendActively(.activeOnly(reply), to: message) { return (nil, nil) }
            return failure("route \(route.index): \(source)reply type \(reply.msgType) can only be sent through the API and the app has no corp_secret", fallback, route, summary)
        case .failed(let reason, let fallback):
            return failure("route \(route.index): \(reason)", fallback, route, summary)
        }
    }

    private func failure(_ reason: String, _ fallback: PassiveReply?, _ route: Route, _ summary: String) -> (PassiveReply?, String?) {
        guard let fallback else { return (nil, reason) }
        logger.error("action failed app=\(appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) error=\"\(LogText.sanitize(reason))\"; sent on_error")
        return (fallback, nil)
    }

    /// Queues `content` for `message/send` to the message's sender.
    /// - Returns: `false` when the app has no active sender or no AgentID is known.
    func sendActively(_ content: ActiveContent, to message: InboundMessage) -> Bool {
        guard let activeSender, let agent = agentID ?? message.agentID else { return false }
        activeSender.enqueue(ActiveMessage(toUser: message.fromUserName, agentID: agent, content: content))
        return true
    }
}
