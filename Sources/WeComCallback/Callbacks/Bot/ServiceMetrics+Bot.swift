import Prometheus

/// The AI bot metrics (issue 12): streams open, refreshes answered, stream durations, programs started,
/// feedback received. Made through the registry (which hands back the same metric for the same name
/// and labels), so they need no stored property of ``ServiceMetrics``.
extension ServiceMetrics {
    /// Buckets of `wecom_bot_stream_duration_seconds`: from a finished-at-once answer to the six minutes.
    static let streamDurationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(5), .seconds(15), .seconds(30),
        .seconds(60), .seconds(120), .seconds(240), .seconds(360),
    ]

    /// `wecom_bot_streams_open`: unfinished streams kept now (set when the metrics are read).
    public func botStreamsOpen(_ count: Int) {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "wecom", metricName: "bot_streams", unitName: "open",
                                                            helpText: "AI bot streams not finished yet (set when the metrics are read).")).set(to: Double(count))
    }

    /// `wecom_bot_stream_refreshes_total{app,result}`: refreshes answered, by `open`, `finished` or `unknown`.
    public func botRefresh(app: String, result: String) {
        registry.makeCounter(descriptor: Self.counter("bot_stream_refreshes", "AI bot stream refreshes answered, by the stream's state."),
                             labels: [("app", app), ("result", result)]).increment()
    }

    /// `wecom_bot_stream_duration_seconds`: from a stream's message to its final content.
    public func botStreamFinished(after duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "wecom", metricName: "bot_stream_duration", unitName: "seconds",
                                             helpText: "Time from an AI bot message to its stream's final content, in seconds."),
            buckets: Self.streamDurationBuckets).record(duration)
    }

    /// `wecom_bot_programs_total{app}`: programs started for AI bot streams (their rate is programs over time).
    public func botProgramStarted(app: String) {
        registry.makeCounter(descriptor: Self.counter("bot_programs", "Programs started for AI bot streams."), labels: [("app", app)]).increment()
    }

    /// `wecom_bot_feedback_total{app,type}`: `feedback_event`s received, by type (1 accurate, 2 inaccurate, 3 cancel).
    public func botFeedback(app: String, type: String) {
        registry.makeCounter(descriptor: Self.counter("bot_feedback", "AI bot feedback events received, by type."),
                             labels: [("app", app), ("type", type)]).increment()
    }

    /// `wecom_bot_late_results_total{app,result}`: results sent to response_url (`sent`, `failed`, `dropped`).
    public func botLateResult(app: String, result: String) {
        registry.makeCounter(descriptor: Self.counter("bot_late_results", "AI bot results delivered through response_url, by result."),
                             labels: [("app", app), ("result", result)]).increment()
    }
}
