import ArgumentParser
import Foundation
import Platform
import WeComCallback
import WeComSimulation

/// `wecom-fcgi simulate bot message`: one AI bot callback (wecom-aibot.md §2–§3) against a URL, the reply
/// verified like WeCom does, and a stream driven through its refreshes to `finish` (§4).
struct SimulateBotMessageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Send an AI bot message or event; check the reply and drive a stream to its end.",
        discussion: """
            Builds the decrypted JSON of a message (--type text, image, mixed, voice,
            file) or event (--type event --event enter_chat, template_card_event,
            feedback_event), encrypts it with receiveid "", signs it and POSTs
            {"encrypt": …}. The reply must be HTTP 200 with an empty body or the JSON
            envelope {"encrypt","msgsignature","timestamp","nonce"}: signature, the
            request's nonce, receiveid "", valid UTF-8 JSON of a form allowed for this
            callback (a message: stream, template_card or stream_with_template_card;
            enter_chat: text or template_card; template_card_event:
            update_template_card; feedback_event: empty only).

            A stream that is not finished is refreshed like WeCom does: a
            {"msgtype":"stream","stream":{"id":…}} callback from the same bot, user and
            chat, with a fresh msgid, timestamp, nonce and signature, every
            --interval-ms, until a reply says finish (or --window-s, 360 as WeCom, or
            --max-refreshes). Each reply's content is printed as a JSON string on a line
            `stream N: finish=…, content=…`; at the end the final content, the number of
            images and the card.

            Exit status: 0 when everything checked out (a stream finished), 1 on any
            protocol violation (bad signature, wrong nonce or receiveid, not UTF-8,
            content over 20480 bytes, msg_item before finish, more than 10 images, a
            reply form not allowed, no finish within the window) or a non-200 answer,
            2 when --max-refreshes stopped an open stream.

            Examples:
              wecom-fcgi simulate bot message --url http://127.0.0.1:8080/wecom/assistant \\
                  --type text --content "写一首诗" --from alice
              wecom-fcgi simulate bot message --url … --type text --chat-type group --chat-id wrABC
              wecom-fcgi simulate bot message --url … --type mixed --item text:看这张图 --item image:https://…
              wecom-fcgi simulate bot message --url … --type event --event template_card_event \\
                  --event-key confirm --task-id task_1 --selected q1=opt1,opt2
              wecom-fcgi simulate bot message --url … --type event --event feedback_event \\
                  --feedback-id fb_1 --feedback-type 2 --inaccurate-reason 1
            """)

    @OptionGroup var credentials: BotCredentialOptions
    @OptionGroup var send: SendOptions

    @Option(name: .customLong("type"), help: ArgumentHelp(
        "msgtype: text, image, mixed, voice, file or event (default: event with --event, else text).", valueName: "type"))
    var msgType: String?
    @Option(help: ArgumentHelp("eventtype (with --type event): enter_chat, template_card_event, feedback_event.",
                               valueName: "eventtype"))
    var event: String?

    @Option(help: ArgumentHelp("from.userid.", valueName: "userid")) var from = "zhangsan"
    @Option(help: ArgumentHelp("from.corpid (omitted by default).", valueName: "corpid")) var fromCorpID: String?
    @Option(help: ArgumentHelp("chattype: single or group.", valueName: "chattype")) var chatType = "single"
    @Option(help: ArgumentHelp("chatid of a group chat (default: a sample id).", valueName: "chatid")) var chatID: String?
    @Option(help: ArgumentHelp("aibotid.", valueName: "aibotid")) var aibotID: String?
    @Option(help: ArgumentHelp("msgid (default: fresh random).", valueName: "msgid")) var msgID: String?
    @Option(help: ArgumentHelp("response_url of messages and card events (default: a sample URL).", valueName: "url"))
    var responseURL: String?
    @Option(help: ArgumentHelp("create_time of events (default: the signed timestamp).", valueName: "seconds"))
    var createTime: Int64?

    @Option(help: ArgumentHelp("text.content or voice.content.", valueName: "text")) var content: String?
    @Option(help: ArgumentHelp("image.url of image (and of the default mixed message).", valueName: "url"))
    var imageURL: String?
    @Option(help: ArgumentHelp("file.url of file.", valueName: "url")) var fileURL: String?
    @Option(help: ArgumentHelp("A mixed.msg_item, in order: text:CONTENT or image:URL (repeatable).", valueName: "item"))
    var item: [String] = []
    @Option(help: ArgumentHelp("Quote a text message with this content.", valueName: "text")) var quote: String?

    @Option(help: ArgumentHelp("template_card_event.card_type.", valueName: "type")) var cardType: String?
    @Option(help: ArgumentHelp("template_card_event.event_key.", valueName: "key")) var eventKey: String?
    @Option(help: ArgumentHelp("template_card_event.task_id.", valueName: "id")) var taskID: String?
    @Option(help: ArgumentHelp("A selected_item: QUESTION_KEY=OPTION_ID[,OPTION_ID…] (repeatable).", valueName: "answer"))
    var selected: [String] = []
    @Option(help: ArgumentHelp("feedback_event.id.", valueName: "id")) var feedbackID: String?
    @Option(help: ArgumentHelp("feedback_event.type: 1 accurate, 2 inaccurate, 3 cancel.", valueName: "n"))
    var feedbackType: Int?
    @Option(help: ArgumentHelp("feedback_event.content.", valueName: "text")) var feedbackContent: String?
    @Option(help: ArgumentHelp("feedback_event.inaccurate_reason_list entry (repeatable).", valueName: "n"))
    var inaccurateReason: [Int] = []

    @Option(help: ArgumentHelp("Milliseconds between the starts of two stream requests.", valueName: "ms"))
    var intervalMs: Int = 1000
    @Option(help: ArgumentHelp("Stop refreshing this many seconds after the message (WeCom: 360).", valueName: "seconds"))
    var windowS: Int = 360
    @Option(help: ArgumentHelp("Stop after this many refreshes (exit status 2 if still open).", valueName: "n"))
    var maxRefreshes: Int?

    @Option(help: ArgumentHelp("With --print-curl: where to write the request body (default: a temporary file).",
                               valueName: "path"))
    var bodyFile: String?
    @Flag(help: "Print each plaintext JSON sent on stderr.") var showJSON = false
    @Flag(help: "Print each decrypted reply JSON on stderr.") var showReplies = false

    func validate() throws {
        if bodyFile != nil && !send.printCurl { throw ValidationError("--body-file needs --print-curl") }
        let type = msgType ?? (event == nil ? "text" : "event")
        guard BotMessageBuilder.messageTypes.contains(type) || type == "event" else {
            throw ValidationError("unknown --type \(type) (known: \(BotMessageBuilder.messageTypes.joined(separator: ", ")), event)")
        }
        if type == "event" {
            guard let event, BotMessageBuilder.eventTypes.contains(event) else {
                throw ValidationError("--type event needs --event \(BotMessageBuilder.eventTypes.joined(separator: "|"))")
            }
        } else if event != nil {
            throw ValidationError("--event needs --type event")
        }
        guard intervalMs >= 0 else { throw ValidationError("--interval-ms must not be negative") }
        guard windowS > 0 else { throw ValidationError("--window-s must be positive") }
        if let maxRefreshes, maxRefreshes < 0 { throw ValidationError("--max-refreshes must not be negative") }
        if let feedbackType, !(1...3).contains(feedbackType) { throw ValidationError("--feedback-type is 1, 2 or 3") }
        _ = try mixedItems()
        _ = try selectedItems()
    }

    func mixedItems() throws -> [BotMessageBuilder.MixedItem]? {
        guard !item.isEmpty else { return nil }
        return try item.map { text in
            if text.hasPrefix("text:") { return .text(String(text.dropFirst(5))) }
            if text.hasPrefix("image:") { return .image(url: String(text.dropFirst(6))) }
            throw ValidationError("--item must be text:CONTENT or image:URL, got \(text.prefix(20))")
        }
    }

    func selectedItems() throws -> [BotMessageBuilder.SelectedItem] {
        try selected.map { answer in
            guard let equals = answer.firstIndex(of: "="), equals != answer.startIndex else {
                throw ValidationError("--selected must be QUESTION_KEY=OPTION_ID[,OPTION_ID…], got \(answer.prefix(20))")
            }
            let options = answer[answer.index(after: equals)...].split(separator: ",").map(String.init)
            return BotMessageBuilder.SelectedItem(questionKey: String(answer[..<equals]), optionIDs: options)
        }
    }

    /// The builder with every given flag applied.
    func builder(timestamp: String) throws -> BotMessageBuilder {
        var b = BotMessageBuilder(msgType: msgType ?? (event == nil ? "text" : "event"), eventType: event)
        b.msgID = msgID ?? RandomBotID.msgID()
        if let aibotID { b.aibotID = aibotID }
        b.chatType = chatType
        b.chatID = chatID
        b.fromUserID = from
        b.fromCorpID = fromCorpID
        if let responseURL { b.responseURL = responseURL }
        b.createTime = createTime ?? Int64(timestamp) ?? Int64(Date().timeIntervalSince1970)
        if let content { b.content = content }
        if let imageURL { b.imageURL = imageURL }
        if let fileURL { b.fileURL = fileURL }
        b.mixedItems = try mixedItems()
        b.quoteText = quote
        if let cardType { b.cardType = cardType }
        if let eventKey { b.eventKey = eventKey }
        if let taskID { b.taskID = taskID }
        b.selectedItems = try selectedItems()
        if let feedbackID { b.feedbackID = feedbackID }
        if let feedbackType { b.feedbackType = feedbackType }
        b.feedbackContent = feedbackContent
        b.inaccurateReasons = inaccurateReason
        return b
    }

    func run() throws {
        let crypt = try credentials.crypt()
        let timestamp = send.resolvedTimestamp, nonce = send.resolvedNonce
        let message = try builder(timestamp: timestamp)
        let plaintext: [UInt8]
        do {
            plaintext = try message.render()
        } catch {
            throw ValidationError(error.description)
        }

        if send.printCurl {
            let request = try request(crypt: crypt, plaintext: plaintext, timestamp: timestamp, nonce: nonce)
            let path = bodyFile ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("wecom-fcgi-bot-\(UUID().uuidString).json").path
            guard FileManager.default.createFile(atPath: path, contents: Data(request.body)) else {
                throw ValidationError("cannot write \(path)")
            }
            print(Curl.command(method: "POST", url: send.url(with: request.queryString), bodyFile: path,
                               contentType: "application/json") + "; echo")
            return
        }

        let sentAt = ContinuousClock.now
        guard let first = try exchange(crypt: crypt, plaintext: plaintext, timestamp: timestamp, nonce: nonce,
                                       kind: message.inboundKind)
        else {
            print("no reply")
            return
        }
        guard let stream = first.stream else {
            print(first.json.pretty())
            return
        }
        show(stream, index: 0)
        if stream.finish {
            summary(stream, card: first.card, refreshes: 0, elapsed: ContinuousClock.now - sentAt)
            return
        }

        let settings = StreamDriver.Settings(
            interval: .milliseconds(intervalMs), window: .seconds(windowS), maxRefreshes: maxRefreshes)
        var driver: StreamDriver
        do {
            driver = try StreamDriver(first: first, messageSentAt: sentAt, settings: settings)
        } catch {
            throw failure(error.description)
        }
        while true {
            let next: StreamDriver.Next
            do {
                next = try driver.next()
            } catch {
                throw failure(error.description)
            }
            switch next {
            case .finished:
                summary(driver.latest, card: driver.card, refreshes: driver.refreshes, elapsed: ContinuousClock.now - sentAt)
                return
            case .stoppedAtMaxRefreshes(let count):
                print("stopped after \(count) refreshes (--max-refreshes); the stream is not finished")
                throw ExitCode(2)
            case .refresh(let streamID, let at):
                let wait = at - ContinuousClock.now
                if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
                let refresh = BotMessageBuilder.refresh(of: message, streamID: streamID, msgID: RandomBotID.msgID())
                let refreshPlaintext: [UInt8]
                do {
                    refreshPlaintext = try refresh.render()
                } catch {
                    throw ValidationError(error.description)
                }
                let refreshSentAt = ContinuousClock.now
                let reply = try exchange(
                    crypt: crypt, plaintext: refreshPlaintext, timestamp: String(Int64(Date().timeIntervalSince1970)),
                    nonce: RandomDecimal.digits(10), kind: refresh.inboundKind)
                do {
                    try driver.receive(reply, sentAt: refreshSentAt)
                } catch {
                    throw failure(error.description)
                }
                show(driver.latest, index: driver.refreshes)
            }
        }
    }

    func request(crypt: WXBizMsgCrypt, plaintext: [UInt8], timestamp: String, nonce: String) throws -> SimulatedRequest {
        do {
            return try SimulatedRequest.botDelivery(crypt: crypt, plaintext: plaintext, timestamp: timestamp, nonce: nonce)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Sends one callback and returns the checked reply, `nil` for an empty 200.
    /// - Throws: `ExitCode(1)` after printing `FAIL: …` for no answer, a non-200 status or any violation.
    func exchange(crypt: WXBizMsgCrypt, plaintext: [UInt8], timestamp: String, nonce: String, kind: BotInboundKind)
        throws -> BotReply?
    {
        if showJSON { FileHandle.standardError.write(Data(plaintext + [0x0A])) }
        let request = try request(crypt: crypt, plaintext: plaintext, timestamp: timestamp, nonce: nonce)
        let result: HTTPResult
        do {
            result = try Curl.send(method: "POST", url: send.url(with: request.queryString), body: request.body,
                                   timeout: send.timeout, contentType: "application/json")
        } catch let problem as CurlFailure {
            throw failure("no HTTP answer: \(problem.description)")
        }
        guard result.status == 200 else {
            throw failure("status \(result.status)" + (result.body.isEmpty ? "" : ": \(String(decoding: result.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"))
        }
        let reply: BotReply?
        do {
            if result.body.isEmpty {
                reply = nil
            } else {
                let opened = try BotReplyEnvelope(parsing: result.body).open(with: crypt, requestNonce: nonce)
                if showReplies { FileHandle.standardError.write(Data(opened + [0x0A])) }
                reply = try BotReply(plaintext: opened)
            }
            try BotReplyRules.check(reply, answering: kind)
        } catch {
            throw failure(error.description)
        }
        note(reply == nil ? "200, empty body" : "200, reply \(reply?.formName ?? "") verified (signature, nonce, receiveid \"\")")
        return reply
    }

    /// One line per stream reply: `stream N: finish=BOOL, content="…"` (content as a JSON string).
    func show(_ stream: BotReplyStream, index: Int) {
        let content = stream.content.map { String(decoding: JSONValue.string($0).encoded(), as: UTF8.self) } ?? "null"
        print("stream \(index): finish=\(stream.finish), content=\(content)")
    }

    func summary(_ stream: BotReplyStream, card: JSONValue?, refreshes: Int, elapsed: Duration) {
        print("finished after \(refreshes) refreshes (\(String(format: "%.1f", elapsed.inSeconds)) s), stream id \(stream.id)")
        print("images: \(stream.images.count)")
        if let card {
            print("card: \(card["card_type"]?.stringValue ?? "template_card") \(String(decoding: card.encoded(), as: UTF8.self))")
        } else {
            print("card: none")
        }
        if let feedbackID = stream.feedbackID { print("feedback id: \(feedbackID)") }
        print("content:")
        print(stream.content ?? "")
    }

    func note(_ text: String) {
        FileHandle.standardError.write(Data("simulate: \(text)\n".utf8))
    }

    /// Prints `FAIL: text` and returns the exit status 1 to throw.
    func failure(_ text: String) -> ExitCode {
        print("FAIL: \(text)")
        return ExitCode(1)
    }
}
