import Foundation
import Logging

/// The message stages of one configured app: what happens to an authenticated, decrypted plaintext.
///
/// The stages, in order (one file each in this folder):
/// 1. ``parse(_:)`` (`Parse.swift`): plaintext XML → ``InboundMessage``; an unparseable one is journaled
///    and answered 200 empty with an error line;
/// 2. ``authorize(_:)`` (`Authorize.swift`): a message for another `AgentID` → 403; and
///    ``checkSwappedTimestamp(_:context:)`` (`CheckSwappedTimestamp.swift`): a replay with `timestamp` and
///    `nonce` exchanged → 403;
/// 3. ``claim(_:plaintext:route:context:)`` (`Claim.swift`): pick the route and claim the delivery in the
///    ``DeliveryStore`` — a retry never runs the action again (spec §6.3–§6.4);
/// 4. ``record(_:route:retry:)`` (`Record.swift`): append to the journal, retries marked;
/// 5. ``act(_:message:summary:key:)`` (`Act.swift`): run the route's action — inline, or beside the
///    request for a program — and record its result in the store;
/// 6. ``deliver(_:message:deadline:)`` (`Deliver.swift`): answer with the result inside the reply
///    budget, or empty once the budget is missed (the result then goes by active send);
/// 7. ``render(_:to:corpID:)`` (`Render.swift`): the passive reply XML.
///
/// The envelope stages around it (query, timestamp, signature, decryption, reply encryption) are
/// ``CallbackHandler``'s; logging and metrics wrap both.
public struct MessagePipeline: MessageProcessor {
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
    /// For action failures (error) and program stderr (debug).
    public var logger: Logger
    /// The wall clock for `CreateTime` and `received_at` (never for deadlines).
    public var now: @Sendable () -> Date
    /// Deliveries seen recently, shared by every app and thread of the process (or of every host).
    public var deliveries: any DeliveryStore
    /// How long a request may wait for its action, from the request's arrival.
    public var replyBudget: Duration
    /// Delivery through `message/send` for late replies and what a passive reply cannot carry; `nil`
    /// when the app has no `corp_secret`.
    public var activeSender: (any ActiveSending)?
    /// The owner of the threads that run programs, shared by every app of the process
    /// (`[server] max_programs`).
    public var programs: ProgramSupervisor
    /// Where dedup hits, budget misses, exec and journal failures are counted, if anywhere.
    public var metrics: ServiceMetrics? {
        didSet { counters = metrics?.counters(forApp: appName) }
    }
    /// The `llm` action's memory, shared by every app of the process and kept across reloads.
    public var conversations: any ConversationStore = InMemoryConversationStore()
    /// The app's temporary media (`exec` routes with `media = "download"`, replies with `File`); `nil`
    /// when the app has no `corp_secret`.
    var media: MediaAPI?
    /// This app's counters in ``metrics``, made once (no lock per request).
    var counters: ServiceMetrics.AppCounters?

    /// Creates the pipeline.
    /// - Parameters:
    ///   - appName: the app's configured name.
    ///   - agentID: the configured `agent_id`, if any.
    ///   - router: the routes.
    ///   - journal: the open journal, if configured.
    ///   - logger: for action failures.
    ///   - now: wall clock (tests inject a fixed one).
    ///   - deliveries: the process-wide delivery store (a private in-memory one by default).
    ///   - replyBudget: seconds a request may wait for a program (default 4).
    ///   - activeSender: the app's active sender, if it has a `corp_secret`.
    ///   - metrics: the process's counters, if any.
    ///   - programs: the process's program supervisor (a private one by default).
    public init(appName: String, agentID: Int64? = nil, router: Router, journal: Journal? = nil, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init, deliveries: any DeliveryStore = InMemoryDeliveryStore(),
                replyBudget: TimeInterval = defaultReplyBudget, activeSender: (any ActiveSending)? = nil,
                metrics: ServiceMetrics? = nil, programs: ProgramSupervisor = ProgramSupervisor()) {
        self.appName = appName
        self.agentID = agentID
        self.router = router
        self.journal = journal
        self.logger = logger
        self.now = now
        self.deliveries = deliveries
        self.replyBudget = .seconds(replyBudget)
        self.activeSender = activeSender
        self.metrics = metrics
        self.programs = programs
        counters = metrics?.counters(forApp: appName)
    }

    /// Runs the stages on one decrypted plaintext (see the type's documentation).
    /// - Parameters:
    ///   - plaintext: the authenticated plaintext XML bytes.
    ///   - context: the app and request.
    /// - Returns: the reply XML, no reply, forbidden or failed, with the summary and MsgId for the log.
    public func process(_ plaintext: [UInt8], context: ProcessingContext) -> ProcessingOutcome {
        let message: InboundMessage
        switch parse(plaintext) {
        case .message(let parsed): message = parsed
        case .refused(let outcome): return outcome
        }
        let summary = message.event.map { "event/\($0)" } ?? message.msgType
        if let refusal = authorize(message) ?? checkSwappedTimestamp(message, context: context) {
            return ProcessingOutcome(refusal, summary: summary, msgID: message.msgID)
        }
        let route = router.route(for: message)
        let claim = claim(message, plaintext: plaintext, route: route, context: context)
        let isRetry: Bool
        switch claim {
        case .first:
            isRetry = false
            record(message, route: route?.index, retry: false)
            act(route, message: message, summary: summary, key: claim.key)
        case .retry(_, let firstRoute):
            isRetry = true
            record(message, route: firstRoute, retry: true)
        }
        let deadline = context.arrival + replyBudget
        let disposition = deliver(claim.key, message: message, deadline: deadline, route: route, summary: summary, isRetry: isRetry,
                                  corpID: context.corpID)
        return ProcessingOutcome(disposition, summary: isRetry ? summary + " (retry)" : summary, msgID: message.msgID)
    }
}

/// The earlier name of ``MessagePipeline``.
public typealias RoutingProcessor = MessagePipeline
