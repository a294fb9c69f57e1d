import Prometheus

/// The process's counters and the request-latency histogram, rendered as Prometheus text on the
/// optional `[server] status_path` (swift-prometheus; no global metrics system is bootstrapped).
///
/// One instance per process, shared by every thread and app and kept across configuration reloads.
/// Every method is cheap and thread-safe (the registry hands back the same counter for the same labels).
public final class ServiceMetrics: Sendable {
    /// The registry behind the metrics (for tests and embedding).
    public let registry: PrometheusCollectorRegistry
    private let latency: DurationHistogram

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
        registry.makeCounter(descriptor: Self.counter("requests", "Requests answered, by app and HTTP status."), labels: [("app", app), ("status", String(status))]).increment()
        latency.record(duration)
    }

    /// Why a request was refused before its message was read (spec §4.6):
    /// `signature`, `decrypt` (base64, AES, padding, length), `receiveid` or `envelope`.
    public enum CryptoFailure: String, Sendable {
        case signature, decrypt, receiveid, envelope
    }

    /// `wecom_crypto_failures_total{app,kind}`.
    public func cryptoFailure(app: String, _ kind: CryptoFailure) {
        registry.makeCounter(descriptor: Self.counter("crypto_failures", "Requests refused for a bad signature, undecryptable payload, wrong receiveid or bad envelope."), labels: [("app", app), ("kind", kind.rawValue)]).increment()
    }

    /// `wecom_dedup_hits_total{app}`: a retried delivery answered without running its action.
    public func dedupHit(app: String) {
        registry.makeCounter(descriptor: Self.counter("dedup_hits", "Retried deliveries answered without running the action again."), labels: [("app", app)]).increment()
    }

    /// `wecom_budget_misses_total{app}`: a delivery answered empty because its action outran the reply budget.
    public func budgetMiss(app: String) {
        registry.makeCounter(descriptor: Self.counter("budget_misses", "Deliveries answered empty because the action outran the reply budget."), labels: [("app", app)]).increment()
    }

    /// How an exec action failed: `timeout`, `exit` (non-zero status), `output` (over 64 KiB), `reply`
    /// (stdout not a usable reply), `spawn` (could not start).
    public enum ExecFailure: String, Sendable {
        case timeout, exit, output, reply, spawn
    }

    /// `wecom_exec_failures_total{app,reason}`.
    public func execFailure(app: String, _ reason: ExecFailure) {
        registry.makeCounter(descriptor: Self.counter("exec_failures", "exec actions that failed, by reason."), labels: [("app", app), ("reason", reason.rawValue)]).increment()
    }

    /// `wecom_journal_write_failures_total{app}`.
    public func journalFailure(app: String) {
        registry.makeCounter(descriptor: Self.counter("journal_write_failures", "Journal appends that failed (the reply was still sent)."), labels: [("app", app)]).increment()
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
