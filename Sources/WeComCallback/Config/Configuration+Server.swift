import Dispatch
import Foundation
import Logging
import Platform

/// What the transport needs to serve a configuration: settings, the apps for ``CallbackHandler``,
/// the open journals (for ``reopenJournals()`` on SIGHUP) and the active senders (for
/// ``shutdownActiveSenders(timeout:)`` and their counters).
public struct ConfiguredServer: Sendable {
    /// `[server]`.
    public var settings: ServerSettings
    /// One ``CallbackApp`` per `[[app]]`, in file order, each with its ``MessagePipeline``.
    public var apps: [CallbackApp]
    /// The journals opened for the apps that have one.
    public var journals: [Journal]
    /// The active senders of the apps that have a `corp_secret`, by app name.
    public var activeSenders: [String: ActiveSender]
    /// What outlives a configuration: the delivery store, the journals, the metrics and the access tokens (pass it to the next
    /// ``Configuration/makeServer(logger:now:runtime:)`` on reload).
    public var runtime: ServerRuntime

    /// Creates the value.
    /// - Parameters:
    ///   - settings: `[server]`.
    ///   - apps: the apps in file order.
    ///   - journals: the open journals.
    ///   - activeSenders: the active senders by app name.
    ///   - runtime: the process-lifetime state.
    public init(settings: ServerSettings, apps: [CallbackApp], journals: [Journal], activeSenders: [String: ActiveSender] = [:],
                runtime: ServerRuntime) {
        self.settings = settings
        self.apps = apps
        self.journals = journals
        self.activeSenders = activeSenders
        self.runtime = runtime
    }

    /// The handler for these apps, counting into the runtime's metrics, with the status endpoint when
    /// `[server] status_path` is set.
    /// - Parameter logger: where the request lines go.
    public func makeHandler(logger: Logger) -> CallbackHandler {
        let senders = activeSenders, metrics = runtime.metrics, programs = runtime.programs, streams = runtime.streams
        let status = settings.statusPath.map {
            CallbackHandler.StatusEndpoint(path: $0, allow: Set(settings.statusAllow)) {
                metrics.programsRunning(programs.running)
                metrics.botStreamsOpen(streams.openCount)
                for (app, sender) in senders {
                    let counts = sender.counts
                    metrics.activeSend(app: app, sent: counts.sent, failed: counts.failed, dropped: counts.dropped)
                }
            }
        }
        let skew = settings.maxTimestampSkewSeconds
        return CallbackHandler(apps: apps, logger: logger, metrics: runtime.metrics, status: status,
                               maxTimestampSkew: skew > 0 ? .seconds(skew) : nil)
    }

    /// Shuts every active sender down, letting each drain its queue for up to `timeout` (in
    /// parallel, so the whole call takes at most about `timeout`).
    /// - Parameter timeout: the longest wait.
    /// - Returns: the names of the apps whose queue was not drained in time (sorted).
    @discardableResult
    public func shutdownActiveSenders(timeout: Duration) -> [String] {
        let late = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: activeSenders.count) { i in
            let (name, sender) = activeSenders[activeSenders.index(activeSenders.startIndex, offsetBy: i)]
            if !sender.shutdown(timeout: timeout) { late.withLock { $0.append(name) } }
        }
        return late.withLock { $0.sorted() }
    }

    /// Reopens every journal of the process (after log rotation), this configuration's and those of
    /// apps a reload removed.
    /// - Returns: the errors of the journals that could not be reopened (they retry on the next append).
    public func reopenJournals() -> [Journal.JournalError] {
        runtime.journals.reopenAll()
    }
}

extension Configuration {
    /// Opens the journals and builds the apps, with an ``ActiveSender`` for each app that has a
    /// `corp_secret` (its thread starts with its first message). The only step with side effects
    /// (journal files are created if missing).
    /// - Parameters:
    ///   - logger: given to each ``MessagePipeline`` (exec failures, journal failures).
    ///   - now: the wall clock for reply `CreateTime` and journal `received_at`.
    ///   - runtime: the retry cache, metrics and program supervisor to keep using (on reload); new ones
    ///     sized by `[server]` when `nil`. The supervisor's limit is set to `max_programs` either way.
    /// - Returns: the apps and journals.
    /// - Throws: ``ConfigError`` naming each journal that cannot be opened or credential that fails.
    public func makeServer(logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
                           runtime: ServerRuntime? = nil) throws(ConfigError) -> ConfiguredServer {
        let runtime = runtime ?? makeRuntime(logger: logger)
        var problems: [ConfigProblem] = []
        var apps: [CallbackApp] = []
        var journals: [Journal] = []
        var senders: [String: ActiveSender] = [:]
        for (i, app) in self.apps.enumerated() {
            var journal: Journal?
            if let path = app.journalPath {
                do {
                    let opened = try runtime.journals.journal(path: path)
                    journals.append(opened)
                    journal = opened
                } catch {
                    problems.append(ConfigProblem(.error, "app[\(i)].journal", error.description))
                }
            }
            let crypt: WXBizMsgCrypt
            do {
                crypt = try app.credentials.makeCrypt()
            } catch {
                problems.append(ConfigProblem(.error, "app[\(i)].encoding_aes_key", "not a valid EncodingAESKey (\(error.reason))"))
                continue
            }
            (runtime.deliveries as? RedisDeliveryStore)?.useCrypt(crypt, forApp: app.name)
            (runtime.conversations as? RedisConversationStore)?.useCrypt(crypt, forApp: app.name)
            // One client and token cache per app, shared by active send and the media calls.
            let api = app.activeSend.map { settings -> (WeComAPIClient, AccessTokenCache) in
                let client = WeComAPIClient(apiBase: settings.apiBase)
                return (client, AccessTokenCache(corpID: app.credentials.corpID, corpSecret: settings.corpSecret, client: client,
                                                 store: runtime.tokens))
            }
            let sender = api.map { ActiveSender(appName: app.name, tokens: $0.1, client: $0.0, logger: logger) }
            senders[app.name] = sender
            var processor = MessagePipeline(appName: app.name, agentID: app.agentID, router: Router(routes: app.routes),
                                             journal: journal, logger: logger, now: now, deliveries: runtime.deliveries,
                                             replyBudget: TimeInterval(server.replyBudgetMS) / 1000, activeSender: sender,
                                             metrics: runtime.metrics, programs: runtime.programs)
            processor.conversations = runtime.conversations
            processor.media = api.map { MediaAPI(tokens: $0.1, client: $0.0, maxBytes: server.maxMediaBytes) }
            apps.append(CallbackApp(name: app.name, path: app.path, crypt: crypt, corpID: app.credentials.corpID, processor: processor))
        }
        apps += makeBots(logger: logger, now: now, runtime: runtime, journals: &journals, problems: &problems)
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        runtime.programs.limit = server.maxPrograms
        return ConfiguredServer(settings: server, apps: apps, journals: journals, activeSenders: senders, runtime: runtime)
    }
}

extension Configuration {
    /// The process-lifetime state for this configuration: in-process stores, or with `[cluster]` the
    /// Redis-shared ones (README "Running on several hosts").
    /// - Parameter logger: where the shared stores log losing and regaining Redis.
    public func makeRuntime(logger: Logger) -> ServerRuntime {
        let metrics = ServiceMetrics()
        let programs = ProgramSupervisor(limit: server.maxPrograms)
        guard let cluster else {
            return ServerRuntime(deliveries: InMemoryDeliveryStore(capacity: server.dedupEntries, ttl: server.deliveryTTL),
                                 metrics: metrics, programs: programs)
        }
        let redis = RedisCluster(settings: cluster, logger: logger, metrics: metrics)
        var runtime = ServerRuntime(deliveries: RedisDeliveryStore(cluster: redis, capacity: server.dedupEntries, ttl: server.deliveryTTL),
                                    metrics: metrics, tokens: RedisTokenStore(cluster: redis), programs: programs)
        runtime.conversations = RedisConversationStore(cluster: redis)
        runtime.streams = RedisStreamStore(cluster: redis)
        return runtime
    }
}

/// What lives as long as the process, across configuration reloads.
public struct ServerRuntime: Sendable {
    /// Retried deliveries answered once, for every app.
    public var deliveries: any DeliveryStore
    /// The counters behind `[server] status_path`.
    public var metrics: ServiceMetrics
    /// One journal writer per path, carried across reloads.
    public var journals: JournalRegistry
    /// The apps' access tokens for active send, kept across reloads (an app whose `corp_secret`
    /// changes gets a new key, see ``TokenKey``).
    public var tokens: any TokenStore
    /// The owner of every running `exec` program (`[server] max_programs`; waited for and killed at exit).
    public var programs: ProgramSupervisor
    /// AI bot stream state and the answers retries repeat (in-process by default).
    public var streams: any StreamStore = InMemoryStreamStore()
    /// Where AI bot results that come too late for their stream go (`response_url`).
    public var responseURL: any ResponseURLPosting = CurlResponseURLSender()
    /// The `llm` action's per-user memory (in-process by default), kept across reloads.
    public var conversations: any ConversationStore = InMemoryConversationStore()

    /// - Parameters:
    ///   - deliveries: the delivery store (in memory by default).
    ///   - metrics: the counters.
    ///   - journals: the journal writers.
    ///   - tokens: the access-token store (in-process by default).
    ///   - programs: the program supervisor.
    public init(deliveries: any DeliveryStore = InMemoryDeliveryStore(), metrics: ServiceMetrics = ServiceMetrics(),
                journals: JournalRegistry = JournalRegistry(), tokens: any TokenStore = InMemoryTokenStore(),
                programs: ProgramSupervisor = ProgramSupervisor()) {
        self.deliveries = deliveries
        self.metrics = metrics
        self.journals = journals
        self.tokens = tokens
        self.programs = programs
    }
}
