import Foundation
import Logging
import Platform

/// The ``ActiveSending`` of one app: a bounded queue in front of one worker thread that sends each
/// message with `message/send`, in order.
///
/// - ``enqueue(_:)`` converts the message to its request bodies right away (a passive-only or
///   unsupported type is refused there, logged, and `false` returned) and queues it; when
///   ``Options/queueCapacity`` messages are waiting the message is dropped (logged, counted,
///   `false`). It never blocks on the network. The worker thread starts with the first message.
/// - The worker sends the parts of a message in order (a long text is several parts; after a
///   failed part the rest are skipped). A network error, HTTP 5xx/429 or `errcode` -1 is retried
///   after each of ``Options/retryDelays`` (0.5 s, 1 s, 2 s); a refused token (40014, 42001,
///   42009) is refreshed once and the send repeated; any other `errcode` is final. The final
///   outcome is logged with `errcode`/`errmsg`, never the secret or the token.
/// - ``shutdown(timeout:)`` stops accepting, lets the worker drain until the deadline and waits for
///   it. Releasing the sender without shutting it down does the same without waiting
///   (``Options/drainTimeout``).
public final class ActiveSender: ActiveSending {
    /// Tuning; the defaults suit production.
    public struct Options: Sendable {
        /// The most messages waiting at once (default 1000); more are dropped.
        public var queueCapacity: Int
        /// The waits before each retry of a transient failure; `count` retries at most.
        public var retryDelays: [Duration]
        /// `duplicate_check_interval` in seconds (default 1800), or `nil` for no duplicate check.
        /// Note that WeCom then also drops an identical message sent again on purpose within it.
        public var duplicateCheckInterval: Int?
        /// How long a released (deinitialised) sender keeps draining in the background.
        public var drainTimeout: Duration

        /// Creates options.
        /// - Parameters:
        ///   - queueCapacity: messages (at least 1).
        ///   - retryDelays: the backoff schedule.
        ///   - duplicateCheckInterval: seconds, or `nil`.
        ///   - drainTimeout: the background drain after release.
        public init(queueCapacity: Int = 1000,
                    retryDelays: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2)],
                    duplicateCheckInterval: Int? = 1800, drainTimeout: Duration = .seconds(5)) {
            self.queueCapacity = max(1, queueCapacity)
            self.retryDelays = retryDelays
            self.duplicateCheckInterval = duplicateCheckInterval
            self.drainTimeout = drainTimeout
        }
    }

    /// Counters since creation (messages, not request parts).
    public struct Counts: Sendable, Equatable {
        /// Messages whose every part was accepted (`errcode` 0).
        public var sent: Int
        /// Messages given up after the retries, or failed with a final `errcode`.
        public var failed: Int
        /// Messages not queued (queue full, shut down, refused type) or discarded at shutdown.
        public var dropped: Int
        /// Messages waiting now (the one being sent excluded).
        public var queued: Int
    }

    /// The app's name, for logs.
    public let appName: String
    private let core: Core

    /// Creates a sender; no thread runs until the first message.
    /// - Parameters:
    ///   - appName: for logs.
    ///   - tokens: the app's access-token cache.
    ///   - client: the API client (normally the one `tokens` uses).
    ///   - options: queue, retry and shutdown tuning.
    ///   - logger: for failures (error), retries (warning) and deliveries (debug).
    public init(appName: String, tokens: AccessTokenCache, client: WeComAPIClient, options: Options = Options(), logger: Logger) {
        self.appName = appName
        core = Core(appName: appName, tokens: tokens, client: client, options: options, logger: logger)
    }

    /// Creates the client, token cache and sender for a configured app.
    /// - Parameters:
    ///   - appName: for logs.
    ///   - corpID: `corpid`.
    ///   - settings: the app's `corp_secret` and `api_base`.
    ///   - tokenStore: where the app's access token is kept (pass the process's one, so that tokens
    ///     outlive a configuration reload; a new ``InMemoryTokenStore`` by default).
    ///   - options: queue, retry and shutdown tuning.
    ///   - logger: as in ``init(appName:tokens:client:options:logger:)``.
    public convenience init(appName: String, corpID: String, settings: ActiveSendSettings,
                            tokenStore: any TokenStore = InMemoryTokenStore(), options: Options = Options(), logger: Logger) {
        let client = WeComAPIClient(apiBase: settings.apiBase)
        let tokens = AccessTokenCache(corpID: corpID, corpSecret: settings.corpSecret, client: client, store: tokenStore)
        self.init(appName: appName, tokens: tokens, client: client, options: options, logger: logger)
    }

    deinit {
        core.close(drainFor: core.options.drainTimeout)
    }

    /// Queues one message (see the type's documentation).
    /// - Parameter message: recipient, agent and content.
    /// - Returns: `false` when the message was dropped: queue full, sender shut down, or a type
    ///   `message/send` does not take (each logged).
    @discardableResult
    public func enqueue(_ message: ActiveMessage) -> Bool {
        core.enqueue(message)
    }

    /// The counters now.
    public var counts: Counts { core.counts }

    /// Stops accepting messages and waits until the queue is sent or the timeout passes; what is
    /// still queued at the deadline is dropped (counted, logged).
    /// - Parameter timeout: the longest wait.
    /// - Returns: `true` when everything queued was handled (sent or failed) in time.
    @discardableResult
    public func shutdown(timeout: Duration) -> Bool {
        core.close(drainFor: timeout)
        return core.waitForWorker(timeout: timeout)
    }
}

extension ActiveSender {
    /// The queue and the worker; owned by the sender and by the worker thread while it runs.
    final class Core: Sendable {
        let appName: String
        let tokens: AccessTokenCache
        let client: WeComAPIClient
        let options: Options
        let logger: Logger
        /// The queue, the worker's life and the counters. Enqueueing, closing and the worker's end
        /// broadcast; the worker waits for a job or the close, ``waitForWorker(timeout:)`` for its end.
        private let state = Locked(State())

        struct Job: Sendable {
            var toUser: String
            var msgType: String
            var bodies: [Data]
        }

        struct State {
            var jobs: [Job] = []
            var head = 0
            var closed = false
            var deadline: ContinuousClock.Instant?
            var workerStarted = false
            var workerDone = false
            var sent = 0
            var failed = 0
            var dropped = 0
            var count: Int { jobs.count - head }
        }

        init(appName: String, tokens: AccessTokenCache, client: WeComAPIClient, options: Options, logger: Logger) {
            self.appName = appName
            self.tokens = tokens
            self.client = client
            self.options = options
            self.logger = logger
        }

        var counts: Counts {
            state.withLock { Counts(sent: $0.sent, failed: $0.failed, dropped: $0.dropped, queued: $0.count) }
        }

        func enqueue(_ message: ActiveMessage) -> Bool {
            let msgType = Self.msgType(of: message)
            let bodies: [Data]
            do {
                bodies = try message.sendAPIBodies(duplicateCheckInterval: options.duplicateCheckInterval)
            } catch {
                state.withLock { $0.dropped += 1 }
                logger.error("active send refused app=\(appName) touser=\(LogText.sanitize(message.toUser, limit: 64)) msgtype=\(msgType): \(error)")
                return false
            }
            enum Outcome { case queued(startWorker: Bool), full, closed }
            let outcome: Outcome = state.withLockAndBroadcast { state in
                if state.closed {
                    state.dropped += 1
                    return .closed
                }
                if state.count >= options.queueCapacity {
                    state.dropped += 1
                    return .full
                }
                if state.head > 64, state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                state.jobs.append(Job(toUser: message.toUser, msgType: msgType, bodies: bodies))
                let start = !state.workerStarted
                state.workerStarted = true
                return .queued(startWorker: start)
            }
            switch outcome {
            case .queued(let startWorker):
                if startWorker { startThread() }
                return true
            case .full:
                logger.error("active send queue full app=\(appName) capacity=\(options.queueCapacity): dropped msgtype=\(msgType) touser=\(LogText.sanitize(message.toUser, limit: 64))")
                return false
            case .closed:
                logger.warning("active send after shutdown app=\(appName): dropped msgtype=\(msgType) touser=\(LogText.sanitize(message.toUser, limit: 64))")
                return false
            }
        }

        /// Stops accepting; the worker drains until `drainFor` from now.
        func close(drainFor: Duration) {
            state.withLockAndBroadcast { state in
                let deadline = ContinuousClock.now + drainFor
                state.deadline = min(state.deadline ?? deadline, deadline)
                state.closed = true
            }
        }

        /// Waits for the worker to end (immediately true when it never started).
        func waitForWorker(timeout: Duration) -> Bool {
            state.wait(until: .now + timeout, while: { $0.workerStarted && !$0.workerDone }) { _, timedOut in !timedOut }
        }

        private func startThread() {
            let thread = Thread { [self] in run() }
            thread.name = "active-send"
            thread.start()
        }

        private enum Next {
            case send(Job)
            case stop(discarded: Int)
        }

        private func run() {
            while true {
                // Sleeps until a job is queued or the sender is closed.
                let next: Next = state.wait(until: nil, while: { $0.count == 0 && !$0.closed }) { state, _ in
                    guard state.count > 0 else { return .stop(discarded: 0) }
                    if let deadline = state.deadline, ContinuousClock.now >= deadline {
                        let discarded = state.count
                        state.jobs = []
                        state.head = 0
                        state.dropped += discarded
                        return .stop(discarded: discarded)
                    }
                    let job = state.jobs[state.head]
                    state.head += 1
                    return .send(job)
                }
                switch next {
                case .send(let job):
                    deliver(job)
                case .stop(let discarded):
                    if discarded > 0 {
                        logger.error("active send shutdown app=\(appName): dropped \(discarded) queued message(s)")
                    }
                    state.withLockAndBroadcast { $0.workerDone = true }  // wakes waitForWorker
                    return
                }
            }
        }

        private func deliver(_ job: Job) {
            for (k, body) in job.bodies.enumerated() {
                let part = job.bodies.count > 1 ? " part=\(k + 1)/\(job.bodies.count)" : ""
                switch send(body, label: "touser=\(LogText.sanitize(job.toUser, limit: 64)) msgtype=\(job.msgType)\(part)") {
                case .success(let response):
                    if !response.invalidUser.isEmpty {
                        logger.warning("active send app=\(appName) msgtype=\(job.msgType)\(part): invaliduser=\(response.invalidUser)")
                    }
                case .failure(let error):
                    state.withLock { $0.failed += 1 }
                    let skipped = job.bodies.count - k - 1
                    let rest = skipped > 0 ? "; \(skipped) later part(s) not sent" : ""
                    logger.error("active send failed app=\(appName) touser=\(LogText.sanitize(job.toUser, limit: 64)) msgtype=\(job.msgType)\(part) \(error)\(rest)")
                    return
                }
            }
            state.withLock { $0.sent += 1 }
            logger.debug("active send ok app=\(appName) touser=\(LogText.sanitize(job.toUser, limit: 64)) msgtype=\(job.msgType) parts=\(job.bodies.count)")
        }

        /// One request body, with the token refresh and the backoff schedule.
        private func send(_ body: Data, label: String) -> Result<WeComAPIClient.SendResponse, WeComAPIError> {
            var refreshed = false
            var retries = 0
            while true {
                var token: String?
                do throws(WeComAPIError) {
                    let current = try tokens.token()
                    token = current
                    return .success(try client.sendMessage(body, accessToken: current))
                } catch {
                    if error.isTokenRejected, !refreshed, let token {
                        refreshed = true
                        do {
                            try tokens.invalidate(token)
                        } catch {
                            logger.warning("active send app=\(appName) \(label): \(error)")
                        }
                        logger.notice("active send app=\(appName) \(label): access token refused (\(error)); refreshing")
                        continue
                    }
                    guard error.isTransient, retries < options.retryDelays.count else { return .failure(error) }
                    let delay = options.retryDelays[retries]
                    retries += 1
                    let deadline = state.withLock { $0.deadline }
                    if let deadline, ContinuousClock.now + delay > deadline { return .failure(error) }
                    logger.warning("active send app=\(appName) \(label): \(error); retry \(retries)/\(options.retryDelays.count) in \(delay)")
                    Thread.sleep(forTimeInterval: delay.inSeconds)
                }
            }
        }

        private static func msgType(of message: ActiveMessage) -> String {
            switch message.content {
            case .reply(let reply): return reply.msgType
            case .activeOnly(let reply): return reply.msgType
            }
        }
    }
}
