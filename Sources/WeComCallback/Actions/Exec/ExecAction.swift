import Foundation

/// The `exec` action: run an external program for the message.
///
/// The program gets the message JSON on stdin and this environment: the server's environment
/// without any secret (`WECOM_APP_CORP_ID`, `WECOM_APP_TOKEN`, `WECOM_APP_AES_KEY` and every variable
/// named by a `*_env` key), plus `WECOM_APP` (app name), `WECOM_MSG_TYPE`, `WECOM_EVENT`,
/// `WECOM_FROM_USER`, `WECOM_AGENT_ID` and `WECOM_MSG_ID` (empty when the message has none), and
/// `WECOM_OUTPUT_DIR` (a private directory made for the run, removed after it). With
/// `media = "download"` also `WECOM_MEDIA_FILE`, `WECOM_MEDIA_TYPE` and `WECOM_MEDIA_SIZE` (the
/// message's `MediaId` fetched first, ``MediaFile``); a reply object with `File` (a file of
/// `WECOM_OUTPUT_DIR`) is uploaded and answered with its `media_id` (README "Media").
///
/// Its stdout decides the reply: empty (or only whitespace) → no reply; a JSON object → that reply
/// object (``ParsedReply`` JSON contract, e.g. `{"MsgType":"text","Content":"…"}`); anything else → a text reply of stdout with trailing line
/// breaks removed, cut to ``maxTextBytes`` (a passive reply then keeps 2048 bytes of it; active send, up
/// to 4 messages). A non-zero exit, passing `timeout_ms`, more than 64 KiB on stdout, or an invalid
/// JSON reply object is a failure: the process group is killed, `on_error` is replied if set (else no
/// reply) and one log line says why. stderr is drained and discarded; its first line is logged at debug.
public struct ExecAction: Sendable, Equatable {
    /// `command`: argv, no shell; `command[0]` is looked up in `PATH` when it has no `/`.
    public var command: [String]
    /// The absolute path `command[0]` resolved to at load time.
    public var executable: String
    /// `timeout_ms`: the deadline in milliseconds (default 4000).
    public var timeoutMS: Int
    /// `on_error`: the text replied when the program fails, if any.
    public var onError: MessageTemplate?
    /// The stdout cap in bytes (64 KiB).
    public var maxOutputBytes: Int
    /// The environment programs start from (secrets already removed).
    public var baseEnvironment: [String: String]
    /// `media = "download"`: a message's `MediaId` is downloaded before the program starts.
    public var downloadMedia: Bool = false

    /// The most of a program's plain (non-JSON) output that becomes a text reply: 8 KiB, 4 messages by
    /// active send. Output that merely starts with `{` is text too, and should not become 32 messages.
    public static let maxTextBytes = 8192

    /// The default `timeout_ms`.
    public static let defaultTimeoutMS = 4000
    /// The stdout cap: 64 KiB.
    public static let defaultMaxOutputBytes = 65536

    /// Creates the action.
    /// - Parameters:
    ///   - command: argv as configured.
    ///   - executable: the resolved path of `command[0]`.
    ///   - timeoutMS: the deadline in milliseconds.
    ///   - onError: the failure reply template, if any.
    ///   - maxOutputBytes: the stdout cap in bytes.
    ///   - baseEnvironment: the environment to start from (secrets removed by the caller).
    public init(command: [String], executable: String, timeoutMS: Int = defaultTimeoutMS, onError: MessageTemplate? = nil,
                maxOutputBytes: Int = defaultMaxOutputBytes, baseEnvironment: [String: String] = [:]) {
        self.command = command
        self.executable = executable
        self.timeoutMS = timeoutMS
        self.onError = onError
        self.maxOutputBytes = maxOutputBytes
        self.baseEnvironment = baseEnvironment
    }

    /// The environment for one message.
    /// - Parameters:
    ///   - message: the message.
    ///   - appName: the app's configured name.
    /// - Returns: ``baseEnvironment`` plus the `WECOM_*` variables.
    func environment(for message: InboundMessage, appName: String) -> [String: String] {
        var env = baseEnvironment
        env["WECOM_APP"] = appName
        env["WECOM_MSG_TYPE"] = message.msgType
        env["WECOM_EVENT"] = message.event ?? ""
        env["WECOM_FROM_USER"] = message.fromUserName
        env["WECOM_AGENT_ID"] = message.agentID.map(String.init) ?? ""
        env["WECOM_MSG_ID"] = message.msgID ?? ""
        return env
    }

    /// Runs the program for a message and interprets its output.
    ///
    /// Around the program: its `WECOM_OUTPUT_DIR` (a private directory made for the run); with
    /// `media = "download"` the message's `MediaId` fetched through `media` into a second private
    /// directory first (``MediaFile``: environment and the `MediaFile` stdin object); a reply object
    /// with `File` uploaded through `media` and answered with the returned `media_id`. Both
    /// directories are removed when the run ends, whatever its outcome. The download, the program and
    /// the upload share one `timeout_ms` deadline.
    /// - Parameters:
    ///   - message: the message.
    ///   - json: the message's JSON form (the program's stdin, before `MediaFile` is added).
    ///   - appName: the app's configured name.
    ///   - metrics: where a failure is counted, if anywhere.
    ///   - slot: the ``ProgramSupervisor`` slot the program runs in, if supervised (its process group is
    ///     recorded there while it runs).
    ///   - media: the app's media API (`nil` without `corp_secret`).
    /// - Returns: the reply, no reply, or a failure with the `on_error` fallback; plus stderr's first line.
    func perform(message: InboundMessage, json: [UInt8], appName: String, metrics: ServiceMetrics? = nil,
                 slot: ProgramSupervisor.Slot? = nil, media: MediaAPI? = nil) -> (result: ActionResult, stderr: String) {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMS)
        let fallback = fallbackReply(for: message)
        let mediaFailed: (MediaError) -> (result: ActionResult, stderr: String) = { error in
            metrics?.execFailure(app: appName, error == .timedOut ? .timeout : .media)
            return (.failed(reason: "exec \(command[0]): \(error)", fallback: fallback), "")
        }
        guard let output = PrivateDirectory.make(prefix: "wecom-out") else {
            metrics?.execFailure(app: appName, .spawn)
            return (.failed(reason: "exec \(command[0]): cannot create WECOM_OUTPUT_DIR", fallback: fallback), "")
        }
        defer { output.remove() }
        var environment = environment(for: message, appName: appName)
        environment["WECOM_OUTPUT_DIR"] = output.path
        var input = json
        var mediaDirectory: PrivateDirectory?
        defer { mediaDirectory?.remove() }
        // Shutdown ends a transfer at once, so that both directories are removed before the process exits.
        let cancelled: @Sendable () -> Bool = { slot?.isCancelled ?? false }
        if downloadMedia {
            do {
                if let file = try Self.fetchMedia(of: message, media: media, deadline: deadline, cancelled: cancelled,
                                                  directory: &mediaDirectory) {
                    environment.merge(file.environment) { _, new in new }
                    input = Self.stdin(for: message, with: file)
                }
            } catch {
                return mediaFailed(error)
            }
        }
        let remainingMS = max(1, Int(((deadline - .now) / .milliseconds(1)).rounded(.up)))
        let runner = ExecRunner(executable: executable, arguments: command, timeoutMS: remainingMS, maxOutputBytes: maxOutputBytes)
        let outcome = runner.run(input: input, environment: environment, slot: slot)
        // A timeout is reported as the route's `timeout_ms` (the download took part of it).
        if var failure = outcome.failure {
            if case .timedOut = failure { failure = .timedOut(timeoutMS) }
            metrics?.execFailure(app: appName, Self.metricsKind(failure))
            return (.failed(reason: "exec \(command[0]): \(failure)", fallback: fallback), outcome.stderrFirstLine)
        }
        var stdout = outcome.stdout
        if let reply = Self.fileReply(stdout) {
            do {
                stdout = try Self.uploadFile(of: reply, outputDirectory: output.path, media: media, deadline: deadline,
                                             cancelled: cancelled)
            } catch {
                return (mediaFailed(error).result, outcome.stderrFirstLine)
            }
        }
        let result = Self.interpret(stdout, command: command[0], fallback: fallback)
        if case .failed = result { metrics?.execFailure(app: appName, .reply) }
        return (result, outcome.stderrFirstLine)
    }

    /// The `on_error` reply for a message, if `on_error` is set.
    /// - Parameter message: the message whose fields fill the template.
    /// - Returns: a text reply, or `nil` without `on_error`.
    func fallbackReply(for message: InboundMessage) -> PassiveReply? {
        onError.map { PassiveReply.text($0.render(message.fields)) }
    }

    /// The metrics label of a runner failure.
    static func metricsKind(_ failure: ExecRunner.Failure) -> ServiceMetrics.ExecFailure {
        switch failure {
        case .spawnFailed: return .spawn
        case .timedOut: return .timeout
        case .outputTooLarge: return .output
        case .abnormalExit, .io: return .exit
        }
    }

    /// Turns a successful program's stdout into a result (see the type's documentation).
    static func interpret(_ stdout: [UInt8], command: String, fallback: PassiveReply?) -> ActionResult {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d }
        guard let first = stdout.firstIndex(where: { !isSpace($0) }) else { return .noReply }
        if stdout[first] == UInt8(ascii: "{"),
           (try? JSONSerialization.jsonObject(with: Data(stdout))) is [String: Any]
        {
            do {
                switch try ParsedReply(json: stdout) {
                case .passive(let reply):
                    return .reply(reply)
                case .activeOnly(let reply):
                    return .activeOnly(reply, fallback: fallback, source: "exec \(command): ")
                }
            } catch {
                return .failed(reason: "exec \(command): \(error)", fallback: fallback)
            }
        }
        var end = stdout.endIndex
        while end > stdout.startIndex, stdout[end - 1] == 0x0a || stdout[end - 1] == 0x0d { end -= 1 }
        let text = String(decoding: stdout[..<end], as: UTF8.self)
        return .reply(.text(XMLText.truncatedUTF8(text, maxBytes: maxTextBytes)))
    }
}
