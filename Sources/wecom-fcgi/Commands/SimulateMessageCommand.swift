import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// `wecom-fcgi simulate message`: one message or event delivery (spec §6) against a URL, with the
/// reply envelope verified, decrypted and shown.
struct SimulateMessageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Send a signed, encrypted message or event and show the decrypted reply.",
        discussion: """
            Builds a realistic inbound XML for any message type (text, image, voice,
            video, location, link) or event (--type event --event NAME: subscribe,
            enter_agent, LOCATION, click, view, scancode_push, pic_sysphoto,
            location_select, change_contact --change-type create_user, batch_job_result,
            open_approval_change, template_card_event, …), or takes the plaintext from
            --xml FILE. Encrypts, signs and POSTs it, then checks the answer like WeCom:
            the reply's MsgSignature, decryption and receiveid. Prints the reply XML,
            or `no reply` for an empty 200; any other status is printed with its body
            and the exit status is 1.

            Examples:
              wecom-fcgi simulate message --url http://127.0.0.1:8080/wecom/callback \\
                  --type text --content hi --from alice
              wecom-fcgi simulate message --url … --type event --event click --event-key MENU_1
              wecom-fcgi simulate message --url … --type image --print-curl --body-file /tmp/b.xml
            """)

    @OptionGroup var credentials: CredentialOptions
    @OptionGroup var send: SendOptions

    @Option(name: .customLong("type"), help: ArgumentHelp(
        "MsgType: text, image, voice, video, location, link or event (default: event with --event, else text).",
        valueName: "type"))
    var msgType: String?
    @Option(help: ArgumentHelp("Event (with --type event), e.g. click, enter_agent, change_contact.", valueName: "event"))
    var event: String?
    @Option(help: ArgumentHelp("EventKey (default: a per-event sample value).", valueName: "key"))
    var eventKey: String?
    @Option(help: ArgumentHelp("ChangeType of change_contact (default: create_user).", valueName: "type"))
    var changeType: String?

    @Option(help: ArgumentHelp("FromUserName (default: zhangsan, or sys for system events).", valueName: "userid"))
    var from: String?
    @Option(help: ArgumentHelp("AgentID.", valueName: "id"))
    var agentID = "1000002"
    @Option(help: ArgumentHelp("MsgId (default: 19 random digits).", valueName: "id"))
    var msgID: String?
    @Option(help: ArgumentHelp("CreateTime (default: the signed timestamp).", valueName: "seconds"))
    var createTime: Int64?

    @Option(help: ArgumentHelp("Content of a text message.", valueName: "text")) var content: String?
    @Option(help: ArgumentHelp("MediaId of image, voice, video.", valueName: "id")) var mediaID: String?
    @Option(help: ArgumentHelp("ThumbMediaId of video.", valueName: "id")) var thumbMediaID: String?
    @Option(help: ArgumentHelp("Format of voice (amr, speex).", valueName: "format")) var format: String?
    @Option(help: ArgumentHelp("PicUrl of image and link.", valueName: "url")) var picURL: String?
    @Option(help: ArgumentHelp("Title of link.", valueName: "text")) var title: String?
    @Option(help: ArgumentHelp("Description of link.", valueName: "text")) var description: String?
    @Option(help: ArgumentHelp("Url of link.", valueName: "url")) var linkURL: String?
    @Option(help: ArgumentHelp("Latitude (Location_X, Latitude).", valueName: "degrees")) var latitude: String?
    @Option(help: ArgumentHelp("Longitude (Location_Y, Longitude).", valueName: "degrees")) var longitude: String?
    @Option(help: ArgumentHelp("Scale of location.", valueName: "zoom")) var scale: String?
    @Option(help: ArgumentHelp("Label (address) of location.", valueName: "text")) var label: String?
    @Option(help: ArgumentHelp("ScanResult of scancode_*.", valueName: "text")) var scanResult: String?
    @Option(help: ArgumentHelp("TaskId of template_card_* and taskcard_click.", valueName: "id")) var taskID: String?
    @Option(help: ArgumentHelp("CardType of template_card_*.", valueName: "type")) var cardType: String?
    @Option(help: ArgumentHelp("ResponseCode of template_card_*.", valueName: "code")) var responseCode: String?
    @Option(help: ArgumentHelp("UserID of change_contact.", valueName: "userid")) var userID: String?
    @Option(help: ArgumentHelp("JobType of batch_job_result.", valueName: "type")) var jobType: String?

    @Option(help: ArgumentHelp("Send this plaintext XML file instead of building one (- for stdin).", valueName: "file"))
    var xml: String?
    @Option(help: ArgumentHelp("With --print-curl: where to write the request body (default: a temporary file).",
                               valueName: "path"))
    var bodyFile: String?
    @Flag(help: "Print the plaintext XML sent on stderr.")
    var showXML = false

    func validate() throws {
        if bodyFile != nil && !send.printCurl { throw ValidationError("--body-file needs --print-curl") }
        if xml != nil && (msgType != nil || event != nil) { throw ValidationError("--xml replaces --type/--event") }
    }

    /// The builder with every given flag applied.
    func builder(corpID: String, timestamp: String) -> InboundMessageBuilder {
        var b = InboundMessageBuilder(
            msgType: msgType ?? (event == nil ? "text" : "event"), event: event, changeType: changeType,
            toUserName: corpID, createTime: createTime ?? Int64(timestamp) ?? Int64(Date().timeIntervalSince1970))
        b.fromUserName = from
        b.agentID = agentID
        b.msgID = msgID ?? RandomDecimal.digits(19)
        b.eventKey = eventKey
        b.mediaID = mediaID
        if let content { b.content = content }
        if let thumbMediaID { b.thumbMediaID = thumbMediaID }
        if let format { b.format = format }
        if let picURL { b.picURL = picURL }
        if let title { b.title = title }
        if let description { b.description = description }
        if let linkURL { b.url = linkURL }
        if let latitude { b.latitude = latitude }
        if let longitude { b.longitude = longitude }
        if let scale { b.scale = scale }
        if let label { b.label = label }
        if let scanResult { b.scanResult = scanResult }
        if let taskID { b.taskID = taskID }
        if let cardType { b.cardType = cardType }
        if let responseCode { b.responseCode = responseCode }
        if let userID { b.userID = userID }
        if let jobType { b.jobType = jobType }
        return b
    }

    func run() throws {
        let resolved = try credentials.resolve()
        let crypt = try credentials.crypt(for: resolved)
        let timestamp = send.resolvedTimestamp, nonce = send.resolvedNonce

        let plaintext: [UInt8]
        if let xml {
            plaintext = try readInput(xml)
        } else {
            do {
                plaintext = Array(try builder(corpID: resolved.corpID, timestamp: timestamp).render().utf8)
            } catch {
                throw ValidationError(error.description)
            }
        }
        if showXML { FileHandle.standardError.write(Data(plaintext + [0x0A])) }

        let request: SimulatedRequest
        do {
            request = try SimulatedRequest.delivery(
                crypt: crypt, plaintext: plaintext, timestamp: timestamp, nonce: nonce, toUserName: resolved.corpID,
                agentID: agentID)
        } catch {
            throw ValidationError(error.description)
        }
        let url = send.url(with: request.queryString)

        if send.printCurl {
            let path = bodyFile ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("wecom-fcgi-message-\(UUID().uuidString).xml").path
            guard FileManager.default.createFile(atPath: path, contents: Data(request.body)) else {
                throw ValidationError("cannot write \(path)")
            }
            print(Curl.command(method: "POST", url: url, bodyFile: path) + "; echo")
            return
        }

        let result: HTTPResult
        do {
            result = try Curl.send(method: "POST", url: url, body: request.body, timeout: send.timeout)
        } catch let problem as CurlFailure {
            throw failure("no HTTP answer: \(problem.description)")
        }
        guard result.status == 200 else {
            throw failure("status \(result.status)" + (result.body.isEmpty ? "" : ": \(String(decoding: result.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"))
        }
        guard !result.body.isEmpty else {
            note("200, empty body")
            print("no reply")
            return
        }
        let reply: [UInt8]
        do {
            reply = try ReplyEnvelope(parsing: result.body).open(with: crypt)
        } catch {
            throw failure("200, but the reply is unusable: \(error.description)")
        }
        note("200 (\(result.header("content-type") ?? "no Content-Type")), reply signature and receiveid verified")
        do {
            let root = try XMLReader().parse(reply)
            print(root.prettyXML())
        } catch {
            note("the decrypted reply is not well-formed XML (\(error.description)); raw:")
            print(String(decoding: reply, as: UTF8.self))
            throw ExitCode(1)
        }
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
