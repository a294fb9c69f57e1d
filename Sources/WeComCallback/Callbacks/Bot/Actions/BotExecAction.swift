import Foundation

/// `exec` for bots: the program gets the decrypted message JSON on stdin and its stdout is the stream
/// (spec `wecom-aibot.md` §4).
///
/// Environment: the server's without secrets, plus `WECOM_BOT` (the bot's name), `WECOM_MSG_TYPE`,
/// `WECOM_EVENT`, `WECOM_FROM_USER`, `WECOM_MSG_ID`, `WECOM_CHAT_ID`, `WECOM_CHAT_TYPE` and
/// `WECOM_OUTPUT_DIR` (an empty directory made for this run and removed after it). With
/// `media = "download"` the message's image and file URLs are downloaded and decrypted first
/// (``BotMedia``): `media_files` on stdin, `WECOM_MEDIA_FILE`, `WECOM_MEDIA_TYPE`, `WECOM_MEDIA_SIZE`.
///
/// - `output = "text"` (default): each refresh shows everything written so far (cut at a character
///   boundary to 20480 bytes); JPG/PNG files left in `WECOM_OUTPUT_DIR` go out with the final reply
///   (at most 10, each at most 10 MB, by file name order).
/// - `output = "json"`: the whole stdout is one reply object — `text` (its content becomes the stream's),
///   `stream` (`content`, `msg_item` images), `template_card` or `stream_with_template_card` — validated
///   before it is sent.
/// - A non-zero exit, `timeout_ms` (at most 345000), more than 1 MiB of output or an invalid JSON reply
///   ends the stream with `on_error` (empty when not set).
struct BotExecAction: BotAction, BotStreamProducer {
    static let name = "exec"
    static let keys = ["command", "timeout_ms", "on_error", "output", "media"]
    /// The largest `timeout_ms`: ends inside WeCom's six minutes of refreshes.
    static let maxTimeoutMS = 345_000
    /// The default `timeout_ms`: two minutes.
    static let defaultTimeoutMS = 120_000
    /// The stdout cap: 1 MiB.
    static let maxOutputBytes = 1 << 20
    /// The largest image file sent: 10 MB.
    static let maxImageBytes = 10 * 1024 * 1024

    var command: [String]
    var executable: String
    var timeoutMS: Int
    var onError: MessageTemplate?
    /// `output = "json"`.
    var jsonOutput: Bool
    var baseEnvironment: [String: String]
    /// `media = "download"`: the message's image and file URLs are downloaded and decrypted first.
    var downloadMedia = false

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> BotExecAction? {
        guard let (command, executable) = loader.programCommand(table, at: path, action: name) else { return nil }
        var timeout = defaultTimeoutMS
        if let ms = loader.integer(table, "timeout_ms", at: path) {
            if (1...maxTimeoutMS).contains(ms) { timeout = ms } else { loader.error("\(path).timeout_ms", "must be between 1 and \(maxTimeoutMS) (a stream ends after six minutes)") }
        }
        var json = false
        if let output = loader.string(table, "output", at: path) {
            switch output {
            case "text": json = false
            case "json": json = true
            default: loader.error("\(path).output", "must be \"text\" or \"json\"")
            }
        }
        let onError = loader.template(table, "on_error", at: path)
        let download = loader.mediaMode(table, at: path, needsCorpSecret: false)
        guard let resolved = executable else { return nil }
        return BotExecAction(command: command, executable: resolved, timeoutMS: timeout, onError: onError, jsonOutput: json,
                             baseEnvironment: loader.baseEnvironment, downloadMedia: download)
    }

    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult {
        guard message.isUserMessage else {
            context.logger.notice("bot \(context.botName) route=\(context.routeIndex): exec answers messages only, not \(LogText.sanitize(message.summary, limit: 64)); no reply")
            return .none
        }
        return .stream(self)
    }

    func refusedContent(for message: BotMessage) -> String { onError?.render(message.fields) ?? "" }

    /// The environment for one run.
    func environment(for message: BotMessage, botName: String, outputDirectory: String) -> [String: String] {
        var env = baseEnvironment
        env["WECOM_APP"] = nil
        env["WECOM_BOT"] = botName
        env["WECOM_MSG_TYPE"] = message.msgType
        env["WECOM_EVENT"] = message.eventType ?? ""
        env["WECOM_FROM_USER"] = message.fromUserID
        env["WECOM_MSG_ID"] = message.msgID ?? ""
        env["WECOM_CHAT_ID"] = message.chatID ?? ""
        env["WECOM_CHAT_TYPE"] = message.chatType ?? ""
        env["WECOM_OUTPUT_DIR"] = outputDirectory
        return env
    }

    func produce(for message: BotMessage, context: BotActionContext, slot: ProgramSupervisor.Slot,
                 append: @escaping @Sendable ([UInt8]) -> Void) -> BotStreamEnd {
        let failed: (String, [UInt8]) -> BotStreamEnd = { reason, output in
            BotStreamEnd(replacement: refusedContent(for: message), output: output, failure: "exec \(command[0]): \(reason)")
        }
        let deadline = ContinuousClock.now + .milliseconds(timeoutMS)
        guard let output = PrivateDirectory.make(prefix: "wecom-out") else { return failed("cannot create WECOM_OUTPUT_DIR", []) }
        defer { output.remove() }
        let directory = output.path
        var environment = environment(for: message, botName: context.botName, outputDirectory: directory)
        var input = message.plaintext
        var mediaDirectory: PrivateDirectory?
        defer { mediaDirectory?.remove() }
        if downloadMedia, let media = context.media, !BotMedia.items(in: message).isEmpty {
            guard let made = PrivateDirectory.make(prefix: "wecom-media") else { return failed("cannot create a private media directory", []) }
            mediaDirectory = made
            let files: [MediaFile]
            do {
                // Shutdown ends the transfer at once, so that the directories are removed before the process exits.
                files = try media.download(for: message, deadline: deadline, into: made, cancelled: { slot.isCancelled })
            } catch {
                context.metrics?.execFailure(app: context.botName, error == .timedOut ? .timeout : .media)
                return failed(error.description, [])
            }
            if let first = files.first { environment.merge(first.environment) { _, new in new } }
            input = BotMedia.stdin(for: message, files: files)
        }
        let remainingMS = max(1, Int(((deadline - .now) / .milliseconds(1)).rounded(.up)))
        let runner = ExecRunner(executable: executable, arguments: command, timeoutMS: remainingMS, maxOutputBytes: Self.maxOutputBytes)
        let outcome = runner.run(input: input, environment: environment, slot: slot, onStdout: jsonOutput ? nil : { append(Array($0)) })
        if !outcome.stderrFirstLine.isEmpty {
            context.logger.debug("exec stderr bot=\(context.botName) route=\(context.routeIndex): \(outcome.stderrFirstLine)")
        }
        if let failure = outcome.failure {
            // A timeout is reported as the route's `timeout_ms` (the download took part of it).
            if case .timedOut = failure { return failed(ExecRunner.Failure.timedOut(timeoutMS).description, outcome.stdout) }
            return failed(failure.description, outcome.stdout)
        }
        guard jsonOutput else {
            Self.logOtherFiles(in: directory, context: context)
            return BotStreamEnd(replacement: nil, output: outcome.stdout, images: Self.images(in: directory))
        }
        switch Self.interpret(outcome.stdout) {
        case .success(let end): return end
        case .failure(let problem): return failed("output = \"json\": \(problem.reason)", outcome.stdout)
        }
    }

    /// Logs (notice) files other than JPG/PNG images left in `WECOM_OUTPUT_DIR`: the bot protocol has no
    /// way to send them (spec `wecom-aibot.md` §4: a stream carries text and images only).
    static func logOtherFiles(in directory: String, context: BotActionContext) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let others = names.filter { name in
            let lower = name.lowercased()
            return !(lower.hasSuffix(".png") || lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg"))
        }
        guard !others.isEmpty else { return }
        context.logger.notice("bot \(context.botName) route=\(context.routeIndex): \(others.count) file(s) other than JPG/PNG left in WECOM_OUTPUT_DIR not sent: an AI bot's stream carries text and images only")
    }

    /// The JPG and PNG files of a directory, by name, at most 10, each at most 10 MB (others skipped).
    static func images(in directory: String) -> [BotImage] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        var out: [BotImage] = []
        for name in names where out.count < BotStream.maxImages {
            let lower = name.lowercased()
            guard lower.hasSuffix(".png") || lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") else { continue }
            let path = directory + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.intValue, size > 0, size <= maxImageBytes,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            guard let base64 = LibCrypto.base64Encode(bytes), let md5 = LibCrypto.md5(bytes) else { continue }
            out.append(BotImage(base64: base64, md5: Hex.lowercase(md5)))
        }
        return out
    }

    /// Validates an `output = "json"` reply object and turns it into the stream's end.
    static func interpret(_ stdout: [UInt8]) -> Result<BotStreamEnd, BotJSON.ParseError> {
        let object: [String: JSONValue]
        do { object = try BotJSON.parseObject(stdout) } catch { return .failure(error) }
        let json = JSONValue.object(object)
        func content(_ path: String) -> String? { json.value(at: path)?.stringValue }
        func images() -> Result<[BotImage], BotJSON.ParseError> {
            guard let items = json.value(at: "stream/msg_item") else { return .success([]) }
            guard case .array(let list) = items, list.count <= BotStream.maxImages else {
                return .failure(BotJSON.ParseError(reason: "stream.msg_item must be an array of at most 10 images"))
            }
            var out: [BotImage] = []
            for item in list {
                guard item["msgtype"]?.stringValue == "image", let base64 = item.value(at: "image/base64")?.stringValue,
                      let md5 = item.value(at: "image/md5")?.stringValue, !base64.isEmpty, md5.count == 32 else {
                    return .failure(BotJSON.ParseError(reason: "stream.msg_item items must be {msgtype: image, image: {base64, md5}}"))
                }
                out.append(BotImage(base64: base64, md5: md5))
            }
            return .success(out)
        }
        switch object["msgtype"]?.stringValue {
        case "text":
            guard let text = content("text/content") else { return .failure(BotJSON.ParseError(reason: "text.content missing")) }
            return .success(BotStreamEnd(replacement: text, output: stdout))
        case "stream":
            guard let text = content("stream/content") else { return .failure(BotJSON.ParseError(reason: "stream.content missing")) }
            return images().map { BotStreamEnd(replacement: text, output: stdout, images: $0) }
        case "template_card", "stream_with_template_card":
            guard case .object? = object["template_card"] else { return .failure(BotJSON.ParseError(reason: "template_card must be an object")) }
            let text = content("stream/content") ?? ""
            return images().map { BotStreamEnd(replacement: text, output: stdout, images: $0, card: object["template_card"]) }
        case let type? where ["file", "image", "voice", "video"].contains(type):
            // The bot protocol carries text and images in a stream only (spec `wecom-aibot.md` §4).
            return .failure(BotJSON.ParseError(reason: "msgtype \(type): an AI bot cannot send files; leave JPG/PNG images in WECOM_OUTPUT_DIR, or reply a stream"))
        default:
            return .failure(BotJSON.ParseError(reason: "msgtype must be text, stream, template_card or stream_with_template_card"))
        }
    }
}
