import Foundation
import Logging

/// The transport-free core of the responder: one ``CallbackRequest`` in, one ``CallbackResponse`` out.
///
/// Implements the request side of the protocol (spec §2, §5, §6) and the status policy:
///
/// | situation | status |
/// |---|---|
/// | body over `max_body_bytes` | 413 |
/// | no app for the path | 404 |
/// | method other than GET/POST | 405, `Allow: GET, POST` |
/// | missing, empty or duplicated parameter; malformed query, envelope or empty body | 400 |
/// | bad signature, decrypt failure, receiveid mismatch, foreign AgentID, timestamp outside `max_timestamp_skew_s` | 403 |
/// | URL verification | 200, `text/plain`, the decrypted echostr exactly |
/// | authenticated message | 200, `text/xml` reply envelope, or an empty body |
/// | AI bot (``CallbackKind/bot``): body not JSON with `encrypt`, or decrypted message not a JSON object | 400 |
/// | AI bot message | 200, `application/json` reply envelope, or an empty body |
///
/// Any non-200 makes WeCom retry (spec §6.3), so a genuine, authenticated message that cannot be
/// handled still gets 200 with an empty body and an error log line. Nothing a client sends yields 500.
/// Thread-safe: one instance serves every transport thread.
public final class CallbackHandler: Sendable {
    /// The apps, in configuration order; the first whose path matches wins.
    public let apps: [CallbackApp]
    let logger: Logger
    let now: @Sendable () -> Date
    /// Where request counts, latencies and crypto failures are recorded.
    public let metrics: ServiceMetrics?
    /// The Prometheus endpoint, when configured.
    public let status: StatusEndpoint?
    /// `[server] max_timestamp_skew_s`: the largest distance between a request's `timestamp` and the
    /// clock; `nil` turns the check off.
    public let maxTimestampSkew: Duration?
    /// Each app's counters (and `-`'s, for requests no app matched), made once: no lock per request.
    let appCounters: [String: ServiceMetrics.AppCounters]

    /// `[server] status_path`: Prometheus text for the addresses in `status_allow` only.
    public struct StatusEndpoint: Sendable {
        /// The request path (`DOCUMENT_URI`) that serves the metrics, e.g. `/wecom-fcgi/metrics`.
        public var path: String
        /// `REMOTE_ADDR` values allowed to read it; everyone else gets 403.
        public var allow: Set<String>
        /// Called before each render to bring sampled values (queue counts) up to date.
        public var refresh: (@Sendable () -> Void)?

        public init(path: String, allow: Set<String> = ["127.0.0.1", "::1"], refresh: (@Sendable () -> Void)? = nil) {
            self.path = CallbackApp.normalise(path)
            self.allow = allow
            self.refresh = refresh
        }
    }

    /// - Parameters:
    ///   - apps: the apps to serve (at least one).
    ///   - logger: where the one-line-per-request log goes.
    ///   - now: wall clock, for reply timestamps when the request's is unusable (tests inject it).
    ///   - metrics: where to count requests (none by default).
    ///   - status: the metrics endpoint, if any (needs `metrics`).
    ///   - maxTimestampSkew: refuse (403) a request whose `timestamp` is further than this from `now`;
    ///     `nil` (the default here; the configuration's default is 300 s) turns the check off.
    public init(apps: [CallbackApp], logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
                metrics: ServiceMetrics? = nil, status: StatusEndpoint? = nil, maxTimestampSkew: Duration? = nil) {
        self.apps = apps
        self.maxTimestampSkew = maxTimestampSkew
        self.logger = logger
        self.now = now
        self.metrics = metrics
        self.status = status
        var counters: [String: ServiceMetrics.AppCounters] = [:]
        if let metrics {
            for name in apps.map(\.name) + ["-"] where counters[name] == nil {
                counters[name] = metrics.counters(forApp: name)
            }
        }
        appCounters = counters
    }

    /// Answers one request; never throws, never traps.
    ///
    /// The cross-cutting work wraps the stages the way middleware wraps a responder: the status
    /// endpoint (`Middleware/StatusEndpoint.swift`) answers its own path; every other request is timed,
    /// counted and logged in one line (`Middleware/RequestLogging.swift`) around ``respond(to:arrival:log:)``.
    public func handle(_ request: CallbackRequest) -> CallbackResponse {
        if let response = serveStatus(request) { return response }
        return logAndCount(request) { started, log in
            respond(to: request, arrival: arrival(request, started: started), log: &log)
        }
    }

    /// When the request really arrived: `started` moved back by the time it waited in the web server and
    /// the socket backlog (`receivedAt`, at most 10 s back; a clock step or a bogus value is ignored).
    func arrival(_ request: CallbackRequest, started: ContinuousClock.Instant) -> ContinuousClock.Instant {
        guard let receivedAt = request.receivedAt else { return started }
        let waited = now().timeIntervalSince1970 - receivedAt
        guard waited > 0, waited < 10 else { return started }
        return started - .milliseconds(Int64(waited * 1000))
    }

    /// Short fixed bodies for errors: they leak nothing.
    static func error(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> CallbackResponse {
        CallbackResponse(status: status, headers: headers, body: Array((text + "\n").utf8))
    }

    func app(for path: String) -> CallbackApp? {
        let normalised = CallbackApp.normalise(path)
        return apps.first { $0.path == nil || $0.path == normalised }
    }

    /// The envelope stages, in order; the message stages run inside ``CallbackApp/processor``.
    ///
    /// 1. size, app, method (413, 404, 405);
    /// 2. ``readQuery(_:isGet:log:)`` (`ReadQuery.swift`): the signed parameters (400);
    /// 3. ``verifyURL(_:app:log:)`` for GET, or ``decrypt(_:body:app:log:)`` (`Decrypt.swift`):
    ///    signature, decryption, receiveid (400, 403);
    /// 4. ``checkTimestamp(_:log:)`` (`CheckTimestamp.swift`): the replay window, once the timestamp is
    ///    known to be the signer's (403);
    /// 5. the app's ``MessageProcessor`` (``MessagePipeline``: parse … render);
    /// 6. ``encrypt(_:query:app:log:)`` (`Encrypt.swift`): the reply envelope.
    func respond(to request: CallbackRequest, arrival: ContinuousClock.Instant, log: inout RequestLog) -> CallbackResponse {
        if request.bodyTooLarge {
            log.failure = "body over the size limit"
            return Self.error(413, "payload too large")
        }
        guard let app = app(for: request.path) else {
            log.failure = "no app for this path"
            return Self.error(404, "not found")
        }
        log.app = app.name
        let isGet = request.method == "GET"
        guard isGet || request.method == "POST" else {
            log.failure = "method not allowed"
            return Self.error(405, "method not allowed", headers: [("Allow", "GET, POST")])
        }
        guard let query = readQuery(request.queryString, isGet: isGet, log: &log) else {
            return Self.error(400, "bad request")
        }
        if isGet {
            guard let echostr = verifyURL(query, app: app, log: &log) else { return Self.error(403, "forbidden") }
            guard checkTimestamp(query.timestamp, log: &log) else { return Self.error(403, "forbidden") }
            log.summary = "verify-url"
            return CallbackResponse(status: 200, contentType: "text/plain; charset=utf-8", body: echostr)
        }
        guard !request.body.isEmpty else {
            log.failure = "empty body"
            return Self.error(400, "bad request")
        }
        let plaintext: [UInt8]
        switch decrypt(query, body: request.body, app: app, log: &log) {
        case .plaintext(let bytes): plaintext = bytes
        case .refused(let status): return Self.error(status, status == 400 ? "bad request" : "forbidden")
        }
        guard checkTimestamp(query.timestamp, log: &log) else { return Self.error(403, "forbidden") }
        let context = ProcessingContext(appName: app.name, corpID: app.corpID, arrival: arrival, timestamp: query.timestamp,
                                        nonce: query.nonce, replayWindow: maxTimestampSkew)
        let outcome = app.processor.process(plaintext, context: context)
        log.summary = outcome.summary
        log.msgID = outcome.msgID
        switch outcome.disposition {
        case .noReply:
            return CallbackResponse(status: 200, body: [])
        case .failed(let why):
            log.failure = why
            return CallbackResponse(status: 200, body: [])
        case .forbidden(let why):
            log.failure = why
            return Self.error(403, "forbidden")
        case .malformed(let why):
            log.failure = why
            return Self.error(400, "bad request")
        case .reply(let xml):
            return encrypt(xml, query: query, app: app, log: &log)
        }
    }

    func countCryptoFailure(_ error: WXBizMsgCryptError, app: String) {
        let kind: ServiceMetrics.CryptoFailure
        switch error {
        case .signatureMismatch: kind = .signature
        case .receiveIDMismatch: kind = .receiveid
        case .envelopeParseFailed: kind = .envelope
        default: kind = .decrypt
        }
        if let counters = appCounters[app] {
            counters.cryptoFailure(kind)
        } else {
            metrics?.cryptoFailure(app: app, kind)
        }
    }
}
