import Foundation
import Logging

/// The ``MessageProcessor`` of one configured app: parse, check `agent_id`, journal, route, act, reply.
///
/// For each authenticated plaintext:
/// 1. parse it into an ``InboundMessage`` (failure → ``ProcessingOutcome/Disposition/failed(_:)``);
/// 2. if the app has an `agent_id` and the message carries a different `AgentID` → `forbidden` (403);
///    messages without an AgentID (system events) pass;
/// 3. pick the first matching route (none → no reply);
/// 4. claim the delivery in the shared ``DeliveryCache``: a retry (same app and MsgId, or the same
///    plaintext when there is no MsgId) never runs the action again — it gets the first run's reply,
///    freshly rendered, or waits for a first run still in progress, or gets an empty 200 once the
///    delivery has missed its reply budget (spec §6.3–§6.4);
/// 5. append the message to the journal, if any, retries marked as such (a failure is logged at error
///    and counted, the reply still goes out);
/// 6. run the action and render the passive reply: `ToUserName` = the sender, `FromUserName` = the
///    corp id, `CreateTime` = now in Unix seconds.
///
/// The reply budget: an `exec` action runs on a thread of ``programs`` while the request waits at most
/// `replyBudget` seconds from the request's arrival. Past it the request is answered 200 with an empty
/// body (WeCom stops retrying), the program keeps running up to its own `timeout_ms`, and its result is
/// delivered through ``activeSender`` (`message/send`) — or dropped with a log line when the app has
/// none. Other actions take microseconds and run inline. With an active sender, reply types a passive
/// reply cannot carry (markdown, textcard, file …) and text over 2048 bytes are sent actively too.
///
/// An `exec` failure with `on_error` is logged here (one error line naming the app, route and reason)
/// and answered with the `on_error` text; without `on_error` it becomes `.failed(reason)`, which the
/// handler logs. When ``programs`` already runs `max_programs` programs, the program is not started: the
/// delivery gets the `on_error` reply (else no reply), one warning line and a count in
/// `wecom_programs_refused_total`. The log summary is `MsgType`, or `event/<Event>`; the msgID is `MsgId`.
public struct RoutingProcessor: MessageProcessor {
    /// The default reply budget in seconds (`[server] reply_budget_ms` = 4000).
    public static let defaultReplyBudget: TimeInterval = 4.0

    /// The app's name (logs, journal, `WECOM_APP`).
    public var appName: String {
        didSet { counters = metrics?.counters(forApp: appName) }
    }
    /// `agent_id`: when set, a message with another `AgentID` is refused.
    public var agentID: Int64?
    /// The app's routes.
    public var router: Router
    /// Where accepted messages are journaled, if anywhere.
    public var journal: Journal?
    /// For exec failures (error) and exec stderr (debug).
    public var logger: Logger
    /// The wall clock for `CreateTime` and `received_at`.
    public var now: @Sendable () -> Date
    /// Deliveries seen recently, shared by every app and thread of the process.
    public var deliveries: DeliveryCache
    /// How long a request may wait for its action, in seconds from the request's arrival.
    public var replyBudget: TimeInterval
    /// Delivery through `message/send` for late replies and what a passive reply cannot carry; `nil`
    /// when the app has no `corp_secret`.
    public var activeSender: (any ActiveSending)?
    /// The owner of the threads that run `exec` programs, shared by every app of the process.
    public var programs: ProgramSupervisor
    /// Where dedup hits, budget misses, exec and journal failures are counted, if anywhere.
    public var metrics: ServiceMetrics? {
        didSet { counters = metrics?.counters(forApp: appName) }
    }
    /// This app's counters in ``metrics``, made once (no lock per request).
    private var counters: ServiceMetrics.AppCounters?

    /// Creates the processor.
    /// - Parameters:
    ///   - appName: the app's configured name.
    ///   - agentID: the configured `agent_id`, if any.
    ///   - router: the routes.
    ///   - journal: the open journal, if configured.
    ///   - logger: for action failures.
    ///   - now: wall clock (tests inject a fixed one).
    ///   - deliveries: the process-wide retry cache (a private one by default).
    ///   - replyBudget: seconds a request may wait for an exec action (default 4).
    ///   - activeSender: the app's active sender, if it has a `corp_secret`.
    ///   - metrics: the process's counters, if any.
    ///   - programs: the process's program supervisor (a private one by default).
    public init(appName: String, agentID: Int64? = nil, router: Router, journal: Journal? = nil, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init, deliveries: DeliveryCache = DeliveryCache(),
                replyBudget: TimeInterval = defaultReplyBudget, activeSender: (any ActiveSending)? = nil,
                metrics: ServiceMetrics? = nil, programs: ProgramSupervisor = ProgramSupervisor()) {
        self.appName = appName
        self.agentID = agentID
        self.router = router
        self.journal = journal
        self.logger = logger
        self.now = now
        self.deliveries = deliveries
        self.replyBudget = replyBudget
        self.activeSender = activeSender
        self.metrics = metrics
        self.programs = programs
        counters = metrics?.counters(forApp: appName)
    }

    /// Handles one decrypted plaintext (see the type's documentation).
    /// - Parameters:
    ///   - plaintext: the authenticated plaintext XML bytes.
    ///   - context: the app and request.
    /// - Returns: the reply XML, no reply, forbidden or failed, with the summary and MsgId for the log.
    public func process(_ plaintext: [UInt8], context: ProcessingContext) -> ProcessingOutcome {
        let message: InboundMessage
        do {
            message = try InboundMessage(xml: plaintext)
        } catch {
            recordUnparsed(plaintext, error: "\(error)")
            return ProcessingOutcome(.failed("message parse failed: \(error)"))
        }
        let summary = message.event.map { "event/\($0)" } ?? message.msgType
        func outcome(_ disposition: ProcessingOutcome.Disposition, retry: Bool = false) -> ProcessingOutcome {
            ProcessingOutcome(disposition, summary: retry ? summary + " (retry)" : summary, msgID: message.msgID)
        }
        if let agentID, let actual = message.agentID, actual != agentID {
            return outcome(.forbidden("AgentID \(actual) is not this app's (\(agentID))"))
        }
        let route = router.route(for: message)
        let elapsed = Double((ContinuousClock.now - context.arrival).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - context.arrival).components.seconds)
        let deadline = Date().addingTimeInterval(replyBudget - elapsed)
        let key = DeliveryCache.key(app: appName, msgID: message.msgID, plaintext: plaintext)

        switch deliveries.claim(key, route: route?.index) {
        case .retry(let delivery):
            counters?.dedupHit()
            record(message, route: delivery.route, retry: true)
            if case .answered(let reply?) = delivery.wait(until: deadline) {
                return outcome(.reply(render(reply, to: message, corpID: context.corpID)), retry: true)
            }
            return outcome(.noReply, retry: true)

        case .first(let delivery):
            record(message, route: route?.index, retry: false)
            guard let route else {
                delivery.finish(nil)
                return outcome(.noReply)
            }
            guard case .exec(let exec) = route.action else {
                let (reply, failure) = run(route, message: message, summary: summary)
                delivery.finish(reply)
                if let reply { return outcome(.reply(render(reply, to: message, corpID: context.corpID))) }
                return outcome(failure.map { .failed($0) } ?? .noReply)
            }
            // A program may be slow: run it beside the request and wait at most until the budget's end.
            let job = RunningAction(processor: self, route: route, message: message, summary: summary, delivery: delivery)
            guard programs.start({ slot in job.run(in: slot) }) else {
                let fallback = exec.fallbackReply(for: message)
                delivery.finish(fallback)
                counters?.programRefused()
                logger.warning("program refused app=\(appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)): \(programs.isShuttingDown ? "shutting down" : "max_programs=\(programs.limit) already running"); \(fallback == nil ? "no reply" : "sent on_error")")
                return outcome(fallback.map { .reply(render($0, to: message, corpID: context.corpID)) } ?? .noReply)
            }
            switch delivery.wait(until: deadline) {
            case .answered(let reply?):
                return outcome(.reply(render(reply, to: message, corpID: context.corpID)))
            case .answered(nil):
                return outcome(delivery.failure.map { .failed($0) } ?? .noReply)
            case .missedBudget, .running:
                counters?.budgetMiss()
                logger.warning("reply budget missed app=\(appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)); answered empty, \(activeSender == nil ? "the late result will be dropped (no corp_secret)" : "the result goes by active send")")
                return outcome(.noReply)
            }
        }
    }

    /// An exec action running on a background thread for one delivery.
    struct RunningAction: Sendable {
        let processor: RoutingProcessor
        let route: Route
        let message: InboundMessage
        let summary: String
        let delivery: Delivery

        /// Runs the action in a ``ProgramSupervisor`` slot and delivers its result.
        func run(in slot: ProgramSupervisor.Slot) {
            let (reply, failure) = processor.run(route, message: message, summary: summary, slot: slot)
            // In time: the waiting request answers (and logs a failure in its request line).
            if delivery.finish(reply, failure: failure) { return }
            // The request was already answered empty: the result reaches the user once, actively.
            if let failure { processor.logger.error("late action failed app=\(processor.appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) error=\"\(LogText.sanitize(failure))\"") }
            guard let reply else { return }
            if !processor.sendActively(.reply(reply), to: message) {
                processor.logger.warning("late reply dropped app=\(processor.appName) route=\(route.index) msg=\(LogText.sanitize(summary, limit: 64)) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)): no active sender")
            }
        }
    }

    /// Runs a route's action.
    /// - Parameter slot: the supervisor slot an `exec` program runs in, if any.
    /// - Returns: the passive reply to give (or `nil`), and a failure reason to log when the action failed
    ///   without an `on_error` reply (a failure with one is logged here).
    func run(_ route: Route, message: InboundMessage, summary: String, slot: ProgramSupervisor.Slot? = nil) -> (PassiveReply?, String?) {
        let result: ActionResult
        switch route.action {
        case .ignore:
            result = .noReply
        case .echo:
            result = PassiveReply.echo(for: message).map(ActionResult.reply) ?? .noReply
        case .exec(let exec):
            let (execResult, stderr) = exec.perform(message: message, json: message.jsonData(), appName: appName, metrics: metrics, slot: slot)
            if !stderr.isEmpty { logger.debug("exec stderr app=\(appName) route=\(route.index): \(stderr)") }
            result = execResult
        default:
            result = route.action.templateReply(fields: message.fields) ?? .noReply
        }
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
        case .activeOnly(let reply, let fallback):
            if sendActively(.activeOnly(reply), to: message) { return (nil, nil) }
            var source = ""
            if case .exec(let exec) = route.action, let program = exec.command.first { source = "exec \(program): " }
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

    private func render(_ reply: PassiveReply, to message: InboundMessage, corpID: String) -> [UInt8] {
        Array(reply.renderXML(toUser: message.fromUserName, fromUser: corpID, createTime: Int64(now().timeIntervalSince1970)).utf8)
    }

    /// Journals an authenticated message that could not be parsed (as base64, with the reason).
    private func recordUnparsed(_ plaintext: [UInt8], error reason: String) {
        guard let journal else { return }
        do {
            try journal.appendUnparsed(app: appName, error: reason, plaintext: plaintext, receivedAt: now())
        } catch {
            counters?.journalFailure()
            logger.error("journal write failed app=\(appName) error=\"\(error)\" failures=\(journal.failureCount)")
        }
    }

    /// Journals the message (its JSON form is built only when there is a journal).
    private func record(_ message: InboundMessage, route: Int?, retry: Bool) {
        guard let journal else { return }
        do {
            try journal.append(app: appName, route: route, messageJSON: message.jsonData(), receivedAt: now(), retry: retry)
        } catch {
            counters?.journalFailure()
            logger.error("journal write failed app=\(appName) error=\"\(error)\" failures=\(journal.failureCount)")
        }
    }
}
