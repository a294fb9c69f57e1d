import Foundation
import Logging

/// The ``MessageProcessor`` of one configured app: parse, check `agent_id`, journal, route, act, reply.
///
/// For each authenticated plaintext:
/// 1. parse it into an ``InboundMessage`` (failure → ``ProcessingOutcome/Disposition/failed(_:)``);
/// 2. if the app has an `agent_id` and the message carries a different `AgentID` → `forbidden` (403);
///    messages without an AgentID (system events) pass;
/// 3. pick the first matching route (none → no reply);
/// 4. append the message to the journal, if any (a failure is logged at error and counted, the reply
///    still goes out);
/// 5. run the action and render the passive reply: `ToUserName` = the sender, `FromUserName` = the
///    corp id, `CreateTime` = now in Unix seconds.
///
/// An `exec` failure with `on_error` is logged here (one error line naming the app, route and reason)
/// and answered with the `on_error` text; without `on_error` it becomes `.failed(reason)`, which the
/// handler logs. The log summary is `MsgType`, or `event/<Event>`; the msgID is `MsgId`.
public struct RoutingProcessor: MessageProcessor {
    /// The app's name (logs, journal, `WECOM_APP`).
    public var appName: String
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
    /// Delivery through `message/send`, when the app has a `corp_secret`.
    public var activeSender: (any ActiveSending)?

    /// Creates the processor.
    /// - Parameters:
    ///   - appName: the app's configured name.
    ///   - agentID: the configured `agent_id`, if any.
    ///   - router: the routes.
    ///   - journal: the open journal, if configured.
    ///   - logger: for action failures.
    ///   - now: wall clock (tests inject a fixed one).
    ///   - activeSender: the app's active sender, if it has a `corp_secret`.
    public init(appName: String, agentID: Int64? = nil, router: Router, journal: Journal? = nil, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init, activeSender: (any ActiveSending)? = nil) {
        self.appName = appName
        self.agentID = agentID
        self.router = router
        self.journal = journal
        self.logger = logger
        self.now = now
        self.activeSender = activeSender
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
            return ProcessingOutcome(.failed("message parse failed: \(error)"))
        }
        let summary = message.event.map { "event/\($0)" } ?? message.msgType
        func outcome(_ disposition: ProcessingOutcome.Disposition) -> ProcessingOutcome {
            ProcessingOutcome(disposition, summary: summary, msgID: message.msgID)
        }
        if let agentID, let actual = message.agentID, actual != agentID {
            return outcome(.forbidden("AgentID \(actual) is not this app's (\(agentID))"))
        }
        let route = router.route(for: message)
        let json = message.jsonData()
        let receivedAt = now()
        if let journal {
            do {
                try journal.append(app: appName, route: route?.index, messageJSON: json, receivedAt: receivedAt)
            } catch {
                logger.error("journal write failed app=\(appName) error=\"\(error)\" failures=\(journal.failureCount)")
            }
        }
        guard let route else { return outcome(.noReply) }

        let result: ActionResult
        switch route.action {
        case .ignore:
            result = .noReply
        case .echo:
            result = PassiveReply.echo(for: message).map(ActionResult.reply) ?? .noReply
        case .exec(let exec):
            let (execResult, stderr) = exec.perform(message: message, json: json, appName: appName)
            if !stderr.isEmpty { logger.debug("exec stderr app=\(appName) route=\(route.index): \(stderr)") }
            result = execResult
        default:
            result = route.action.templateReply(fields: message.fields) ?? .noReply
        }

        let reply: PassiveReply
        switch result {
        case .noReply:
            return outcome(.noReply)
        case .reply(let r):
            reply = r
        case .failed(let reason, nil):
            return outcome(.failed("route \(route.index): \(reason)"))
        case .failed(let reason, let fallback?):
            logger.error("action failed app=\(appName) route=\(route.index) msg=\(summary) error=\"\(reason)\"; sent on_error")
            reply = fallback
        }
        let createTime = Int64(now().timeIntervalSince1970)
        return outcome(.reply(Array(reply.renderXML(toUser: message.fromUserName, fromUser: context.corpID, createTime: createTime).utf8)))
    }
}
