import Prometheus

extension ServiceMetrics {
    /// Time-to-first-token buckets: 50 ms … 60 s (local models on a CPU can take long).
    static let firstTokenBuckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        .seconds(4), .seconds(8), .seconds(15), .seconds(30), .seconds(60),
    ]

    /// One finished `llm` call (rare next to requests, so the registry's own lookup is fine):
    /// `wecom_llm_calls_total{app,outcome}` (`ok`, `connection`, `status`, `malformed`, `truncated`,
    /// `timeout`, `empty`), `wecom_llm_first_token_seconds{app}` (a histogram, when a delta came) and
    /// `wecom_llm_deltas_total{app}` (non-empty deltas streamed; one is about one token).
    /// - Parameters:
    ///   - app: the app's name.
    ///   - outcome: the outcome label.
    ///   - timeToFirstDelta: from the request's start to the first delta, if one came.
    ///   - deltas: the deltas streamed.
    public func llmCall(app: String, outcome: String, timeToFirstDelta: Duration?, deltas: Int) {
        registry.makeCounter(descriptor: Self.counter("llm_calls", "llm action calls, by outcome."),
                             labels: [("app", app), ("outcome", outcome)]).increment()
        if let timeToFirstDelta {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "wecom", metricName: "llm_first_token", unitName: "seconds",
                                                 helpText: "Time from an llm request to its first streamed delta, in seconds."),
                labels: [("app", app)], buckets: Self.firstTokenBuckets).record(timeToFirstDelta)
        }
        let streamed = registry.makeCounter(descriptor: Self.counter("llm_deltas", "Non-empty deltas (about one token each) streamed by llm calls."),
                                            labels: [("app", app)])
        if deltas > 0 { streamed.increment(by: Int64(deltas)) }
    }
}
