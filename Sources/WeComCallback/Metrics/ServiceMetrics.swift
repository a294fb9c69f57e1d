import Platform
import Prometheus

/// The process's counters and the request-latency histogram, rendered as Prometheus text on the
/// optional `[server] status_path` (swift-prometheus; no global metrics system is bootstrapped).
///
/// One instance per process, shared by every thread and app and kept across configuration reloads.
/// Every method is cheap and thread-safe: each counter is made once through the registry and then
/// found in a small cache keyed by its labels (the registry's own lookup builds the metric name and
/// compares label arrays on every call — several microseconds per request under load).
public final class ServiceMetrics: Sendable {
    /// The registry behind the metrics (for tests and embedding).
    public let registry: PrometheusCollectorRegistry
    fileprivate let latency: DurationHistogram
    fileprivate let runningPrograms: Gauge
    private let counters = Locked<[CounterKey: Counter]>([:])

    /// The counters, each with the name of its second label (after `app`), if any.
    fileprivate enum Metric: Hashable {
        case requests, cryptoFailures, dedupHits, budgetMisses, execFailures, journalFailures, programsRefused
        case storeErrors

        var descriptor: MetricNameDescriptor {
            switch self {
            case .requests: return counter("requests", "Requests answered, by app and HTTP status.")
            case .cryptoFailures: return counter("crypto_failures", "Requests refused for a bad signature, undecryptable payload, wrong receiveid or bad envelope.")
            case .dedupHits: return counter("dedup_hits", "Retried deliveries answered without running the action again.")
            case .budgetMisses: return counter("budget_misses", "Deliveries answered empty because the action outran the reply budget.")
            case .execFailures: return counter("exec_failures", "exec actions that failed, by reason.")
            case .journalFailures: return counter("journal_write_failures", "Journal appends that failed (the reply was still sent).")
            case .programsRefused: return counter("programs_refused", "exec programs not started because max_programs were already running.")
            case .storeErrors: return counter("store_errors", "Shared-store ([cluster] Redis) operations that failed, by store (app is empty); the host used its local store.")
            }
        }

        var secondLabel: String? {
            switch self {
            case .requests: return "status"
            case .cryptoFailures: return "kind"
            case .execFailures: return "reason"
            case .storeErrors: return "store"
            case .dedupHits, .budgetMisses, .journalFailures, .programsRefused: return nil
            }
        }
    }

    /// A counter and its label values.
    fileprivate struct CounterKey: Hashable {
        var metric: Metric
        var app: String
        var label: String
    }

    /// Increments a counter, making it on first use (the slow path: the lock shared by every counter;
    /// ``AppCounters`` has per-counter slots for the usual label values).
    fileprivate func increment(_ metric: Metric, app: String, label: String = "") {
        makeCounter(CounterKey(metric: metric, app: app, label: label)).increment()
    }

    fileprivate func makeCounter(_ key: CounterKey) -> Counter {
        if let counter = counters.withLock({ $0[key] }) { return counter }
        var labels = [("app", key.app)]
        if let name = key.metric.secondLabel { labels.append((name, key.label)) }
        let counter = registry.makeCounter(descriptor: key.metric.descriptor, labels: labels)
        counters.withLock { $0[key] = counter }
        return counter
    }

    /// The counters of one app for the request path, without a shared lock: each counter is made on
    /// first use and then found in the app's own slot, behind that slot's own ``Locked`` (held for one
    /// reference read, so only requests bumping the same counter meet). (One lock shared by every
    /// counter cost ~10 % of the CPU with 32 worker threads on 2 cores; the per-slot lock measured the
    /// same as the lock-free load it replaced, through nginx with wrk, 32 and 40 threads.) Make one per
    /// app when the app is set up and keep it.
    /// - Parameter app: the app's name, or `-` for requests no app matched.
    /// - Returns: the app's counters, recording into this instance.
    public func counters(forApp app: String) -> AppCounters {
        AppCounters(metrics: self, app: app)
    }

    /// One app's counters (see ``ServiceMetrics/counters(forApp:)``); thread-safe.
    public final class AppCounters: Sendable {
        private let metrics: ServiceMetrics
        private let app: String
        /// One counter per metric and second label value; the app is this instance's.
        private let slots: [Slot: LazyCounter]
        /// The `requests` slots of ``statuses``, in that order (found by a comparison per status, without
        /// hashing a label made from the status on every request).
        private let statusSlots: [LazyCounter]

        private struct Slot: Hashable {
            var metric: Metric
            var label: String
        }

        /// The statuses the handler answers with (other statuses take the locked path).
        static let statuses = [200, 400, 403, 404, 405, 413]

        fileprivate init(metrics: ServiceMetrics, app: String) {
            self.metrics = metrics
            self.app = app
            var keys = Self.statuses.map { Slot(metric: .requests, label: String($0)) }
            keys += [CryptoFailure.signature, .decrypt, .receiveid, .envelope].map {
                Slot(metric: .cryptoFailures, label: $0.rawValue)
            }
            keys += [ExecFailure.timeout, .exit, .output, .reply, .spawn, .media].map {
                Slot(metric: .execFailures, label: $0.rawValue)
            }
            keys += [Metric.dedupHits, .budgetMisses, .journalFailures, .programsRefused].map { Slot(metric: $0, label: "") }
            let slots = Dictionary(uniqueKeysWithValues: keys.map { ($0, LazyCounter()) })
            self.slots = slots
            statusSlots = Self.statuses.compactMap { slots[Slot(metric: .requests, label: String($0))] }
        }

        private func increment(_ metric: Metric, label: String = "") {
            guard let slot = slots[Slot(metric: metric, label: label)] else {
                metrics.increment(metric, app: app, label: label)
                return
            }
            slot.get { metrics.makeCounter(CounterKey(metric: metric, app: app, label: label)) }.increment()
        }

        /// As ``ServiceMetrics/request(app:status:duration:)`` for this app.
        public func request(status: Int, duration: Duration) {
            if let index = Self.statuses.firstIndex(of: status), index < statusSlots.count {
                statusSlots[index].get { metrics.makeCounter(CounterKey(metric: .requests, app: app, label: String(status))) }
                    .increment()
            } else {
                increment(.requests, label: String(status))
            }
            metrics.latency.record(duration)
        }

        /// As ``ServiceMetrics/cryptoFailure(app:_:)`` for this app.
        public func cryptoFailure(_ kind: CryptoFailure) { increment(.cryptoFailures, label: kind.rawValue) }
        /// As ``ServiceMetrics/dedupHit(app:)`` for this app.
        public func dedupHit() { increment(.dedupHits) }
        /// As ``ServiceMetrics/budgetMiss(app:)`` for this app.
        public func budgetMiss() { increment(.budgetMisses) }
        /// As ``ServiceMetrics/execFailure(app:_:)`` for this app.
        public func execFailure(_ reason: ExecFailure) { increment(.execFailures, label: reason.rawValue) }
        /// As ``ServiceMetrics/journalFailure(app:)`` for this app.
        public func journalFailure() { increment(.journalFailures) }
        /// As ``ServiceMetrics/programRefused(app:)`` for this app.
        public func programRefused() { increment(.programsRefused) }
    }

    /// A counter made on first use, then handed out under its own lock.
    private final class LazyCounter: Sendable {
        private let reference = Locked<Counter?>(nil)

        func get(_ make: () -> Counter) -> Counter {
            reference.withLock { counter in
                if let counter { return counter }
                let made = make()
                counter = made
                return made
            }
        }
    }

    /// Latency buckets: 0.1 ms … 5 s (WeCom's deadline).
    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(4), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        latency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "wecom", metricName: "request_duration", unitName: "seconds",
                helpText: "Time from request arrival to response, in seconds."),
            buckets: Self.latencyBuckets)
        runningPrograms = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "wecom", metricName: "programs", unitName: "running",
                helpText: "exec programs running now (set when the metrics are read)."))
    }

    /// `wecom_<name>_total` with its help text.
    static func counter(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "wecom", metricName: name, unitName: "total", helpText: help)
    }

    /// A finished request: `wecom_requests_total{app,status}` and the latency histogram.
    /// - Parameters:
    ///   - app: the app's name, or `-` when no app matched.
    ///   - status: the HTTP status sent.
    ///   - duration: arrival to response.
    public func request(app: String, status: Int, duration: Duration) {
        increment(.requests, app: app, label: String(status))
        latency.record(duration)
    }

    /// Why a request was refused before its message was read (spec §4.6):
    /// `signature`, `decrypt` (base64, AES, padding, length), `receiveid` or `envelope`.
    public enum CryptoFailure: String, Sendable {
        case signature, decrypt, receiveid, envelope
    }

    /// `wecom_crypto_failures_total{app,kind}`.
    public func cryptoFailure(app: String, _ kind: CryptoFailure) {
        increment(.cryptoFailures, app: app, label: kind.rawValue)
    }

    /// `wecom_dedup_hits_total{app}`: a retried delivery answered without running its action.
    public func dedupHit(app: String) {
        increment(.dedupHits, app: app)
    }

    /// `wecom_budget_misses_total{app}`: a delivery answered empty because its action outran the reply budget.
    public func budgetMiss(app: String) {
        increment(.budgetMisses, app: app)
    }

    /// How an exec action failed: `timeout`, `exit` (non-zero status), `output` (over 64 KiB), `reply`
    /// (stdout not a usable reply), `spawn` (could not start), `media` (a `media = "download"` file
    /// or a reply's `File` could not be transferred).
    public enum ExecFailure: String, Sendable {
        case timeout, exit, output, reply, spawn, media
    }

    /// `wecom_exec_failures_total{app,reason}`.
    public func execFailure(app: String, _ reason: ExecFailure) {
        increment(.execFailures, app: app, label: reason.rawValue)
    }

    /// `wecom_journal_write_failures_total{app}`.
    public func journalFailure(app: String) {
        increment(.journalFailures, app: app)
    }

    /// `wecom_programs_refused_total{app}`: an exec program not started because `[server] max_programs`
    /// programs were already running.
    public func programRefused(app: String) {
        increment(.programsRefused, app: app)
    }

    /// `wecom_store_errors_total{store}`: counts a shared-store operation that failed (Redis unreachable,
    /// timed out or refusing).
    /// - Parameter store: `delivery` or `token`.
    public func storeError(store: String) {
        increment(.storeErrors, app: "", label: store)
    }

    /// `wecom_programs_running`: how many `max_programs` slots are in use now — exec programs and `llm` calls (set before each render).
    /// - Parameter count: the running programs (``ProgramSupervisor/running``).
    public func programsRunning(_ count: Int) {
        runningPrograms.set(to: Double(count))
    }

    /// `wecom_active_send_messages{app,result}`: the active sender's running counts of messages sent,
    /// failed (gave up after retries) and dropped (queue full or not sendable); set before each render.
    public func activeSend(app: String, sent: Int, failed: Int, dropped: Int) {
        for (result, value) in [("sent", sent), ("failed", failed), ("dropped", dropped)] {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "wecom", metricName: "active_send", unitName: "messages",
                                                 helpText: "Messages handed to message/send, by result (running count)."),
                labels: [("app", app), ("result", result)]).set(to: Double(value))
        }
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4), UTF-8.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
