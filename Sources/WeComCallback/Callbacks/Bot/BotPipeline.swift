import Foundation
import Logging

/// The message stages of one configured AI bot (`[[bot]]`): what happens to an authenticated,
/// decrypted JSON message (spec `wecom-aibot.md` §2–§5). The envelope stages around it are
/// ``CallbackHandler``'s, with the bot's ``CallbackKind/bot`` envelopes.
///
/// The stages, in order:
/// 1. parse (`BotPipeline+Parse.swift`): the hardened JSON reader → ``BotMessage``; malformed → 400,
///    journaled as unparsed;
/// 2. authorize: a message for another `aibotid` than `aibot_id` → 403;
/// 3. a stream refresh (`msgtype = "stream"`) is answered from the ``StreamStore`` at once
///    (`BotPipeline+Refresh.swift`) and stops here;
/// 4. claim: an answer the ``StreamStore`` still remembers for the `msgid` is repeated; else the
///    ``DeliveryStore`` decides first arrival or retry (dedup on `msgid`); a retry answers
///    what the first arrival answered (the same stream id, its content so far) and never runs anything;
/// 5. record: the journal (retries marked; feedback and unknown msgtypes too);
/// 6. act (`BotPipeline+Act.swift`): feedback → empty; unknown msgtype → empty; else the route's
///    ``BotAction``: a reply object, a finished stream, or a stream fed by a program on a
///    ``ProgramSupervisor`` thread;
/// 7. render: the reply JSON plaintext (encrypted by the handler).
public struct BotPipeline: MessageProcessor {
    /// WeCom refreshes a stream for six minutes after the user's message.
    public static let defaultStreamLifetime: Duration = .seconds(360)

    /// The bot's name (logs, journal, `WECOM_BOT`).
    public var botName: String
    /// `aibot_id`: when set, a message with another `aibotid` is refused (403).
    public var aibotID: String?
    /// The bot's routes.
    public var router: BotRouter
    /// Where messages are journaled, if anywhere.
    public var journal: Journal?
    public var logger: Logger
    /// The wall clock for the journal's `received_at` (never for deadlines).
    public var now: @Sendable () -> Date
    /// The monotonic clock for stream lifetimes (tests inject a fake one).
    public var clock: @Sendable () -> ContinuousClock.Instant
    /// Deduplication of retried `msgid`s, shared with the apps.
    public var deliveries: any DeliveryStore
    /// Stream state and the answers retries repeat.
    public var streams: any StreamStore
    /// The owner of program threads (`[server] max_programs`).
    public var programs: ProgramSupervisor
    /// Where late results go (`response_url`).
    public var responseURL: any ResponseURLPosting
    /// How long streams and answers are kept after their message.
    public var streamLifetime: Duration
    /// How long a retry waits for its first arrival to decide its answer.
    public var retryWait: Duration
    public var metrics: ServiceMetrics?
    /// The `llm` action's per-user memory (``ServerRuntime/conversations``), shared with the apps.
    public var conversations: any ConversationStore = InMemoryConversationStore()
    /// The bot's media key and `max_media_bytes` (``BotMedia``), for `media = "download"` routes.
    var media: BotMedia?
    var counters: ServiceMetrics.AppCounters?

    /// Creates the pipeline.
    /// - Parameters:
    ///   - botName: the bot's configured name.
    ///   - aibotID: the configured `aibot_id`, if any.
    ///   - router: the routes.
    ///   - journal: the open journal, if configured.
    ///   - logger: for failures and program stderr (debug).
    ///   - now: wall clock.
    ///   - clock: monotonic clock.
    ///   - deliveries: the process's delivery store.
    ///   - streams: the process's stream store.
    ///   - programs: the process's program supervisor.
    ///   - responseURL: the late-result sender.
    ///   - streamLifetime: six minutes by default.
    ///   - metrics: the process's counters, if any.
    public init(botName: String, aibotID: String? = nil, router: BotRouter, journal: Journal? = nil, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init,
                clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                deliveries: any DeliveryStore = InMemoryDeliveryStore(), streams: any StreamStore = InMemoryStreamStore(),
                programs: ProgramSupervisor = ProgramSupervisor(), responseURL: any ResponseURLPosting = CurlResponseURLSender(),
                streamLifetime: Duration = defaultStreamLifetime, metrics: ServiceMetrics? = nil) {
        self.botName = botName
        self.aibotID = aibotID
        self.router = router
        self.journal = journal
        self.logger = logger
        self.now = now
        self.clock = clock
        self.deliveries = deliveries
        self.streams = streams
        self.programs = programs
        self.responseURL = responseURL
        self.streamLifetime = streamLifetime
        self.retryWait = .seconds(4)
        self.metrics = metrics
        counters = metrics?.counters(forApp: botName)
    }

    public func process(_ plaintext: [UInt8], context: ProcessingContext) -> ProcessingOutcome {
        let message: BotMessage
        do {
            message = try BotMessage(parsing: plaintext)
        } catch {
            recordUnparsed(plaintext, error: error.description)
            return ProcessingOutcome(.malformed(error.description), summary: "-")
        }
        let summary = message.summary
        if let aibotID, let actual = message.aibotID, actual != aibotID {
            return ProcessingOutcome(.forbidden("aibotid \(LogText.sanitize(actual, limit: 64)) is not this bot's"), summary: summary, msgID: message.msgID)
        }
        if message.msgType == "stream" {
            return ProcessingOutcome(refresh(message), summary: summary, msgID: message.msgID)
        }
        let route = message.isKnownForRouting ? router.route(for: message) : nil
        let key = DeliveryKey(app: botName, msgID: message.msgID, plaintext: plaintext)
        let arrival = clock()
        // The stream store keeps a message's answer for the six minutes its stream lives, longer than the
        // delivery store may remember the msgid (`dedup_ttl_s`): a late retry still gets the same answer.
        if let answer = streams.answer(forMessage: key, now: arrival) {
            counters?.dedupHit()
            record(message, route: route?.index, retry: true)
            return ProcessingOutcome(render(answer), summary: summary + " (retry)", msgID: message.msgID)
        }
        switch deliveries.claim(key, route: route?.index, now: arrival) {
        case .first(let claimed):
            record(message, route: route?.index, retry: false)
            // Answers are kept under the message's own key (with deduplication off, `claimed` is unique).
            let answer = act(route, message: message, key: key, arrival: arrival)
            _ = deliveries.finish(claimed, reply: nil, failure: nil)
            return ProcessingOutcome(render(answer), summary: summary, msgID: message.msgID)
        case .retry(let claimed, let firstRoute):
            counters?.dedupHit()
            record(message, route: firstRoute, retry: true)
            _ = deliveries.answer(for: claimed, waitingUntil: clock() + retryWait)
            let answer = streams.answer(forMessage: key, now: clock()) ?? .none
            return ProcessingOutcome(render(answer), summary: summary + " (retry)", msgID: message.msgID)
        }
    }

    /// The reply plaintext for an answer: a stream's current state (as a first reply, with its feedback
    /// id), a reply object, or nothing.
    func render(_ answer: BotAnswer) -> ProcessingOutcome.Disposition {
        switch answer {
        case .none: return .noReply
        case .reply(let object): return .reply(object.encoded())
        case .stream(let id):
            let stream = streams.read(id, now: clock()) ?? BotStream.finished(id: id, content: "")
            return .reply(stream.firstReply.encoded())
        }
    }

    /// Journals a message (its decrypted JSON); a failed write is logged and counted.
    func record(_ message: BotMessage, route: Int?, retry: Bool) {
        guard let journal else { return }
        do {
            try journal.append(app: botName, route: route, messageJSON: message.plaintext, receivedAt: now(), retry: retry)
        } catch {
            counters?.journalFailure()
            logger.error("journal write failed bot=\(botName) error=\"\(error)\" failures=\(journal.failureCount)")
        }
    }

    /// Journals a plaintext that is not a usable JSON message (as base64, with the reason).
    func recordUnparsed(_ plaintext: [UInt8], error reason: String) {
        guard let journal else { return }
        do {
            try journal.appendUnparsed(app: botName, error: reason, plaintext: plaintext, receivedAt: now())
        } catch {
            counters?.journalFailure()
            logger.error("journal write failed bot=\(botName) error=\"\(error)\" failures=\(journal.failureCount)")
        }
    }
}

extension BotMessage {
    /// Whether routes apply: a known user message or an event other than feedback.
    var isKnownForRouting: Bool {
        (isUserMessage || msgType == "event") && eventType != "feedback_event"
    }
}
