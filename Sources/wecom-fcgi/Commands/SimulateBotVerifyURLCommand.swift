import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// `wecom-fcgi simulate bot verify-url`: WeCom's URL-verification GET for an AI bot (wecom-aibot.md §1:
/// receiveid ""), judged like the admin console judges it.
struct SimulateBotVerifyURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-url",
        abstract: "Send an AI bot's URL-verification GET and report pass or fail with the reason.",
        discussion: """
            Encrypts a random 19-digit echostr with receiveid "" (an AI bot's), signs it
            and sends the GET. Passes when the answer is HTTP 200 with exactly the
            echostr plaintext as body (WeCom also wants it within 1 second; the time
            taken is shown). Exit status 0 on pass, 1 on fail.

            Example:
              WECOM_BOT_TOKEN=… WECOM_BOT_AES_KEY=… \\
                wecom-fcgi simulate bot verify-url --url https://example.com/wecom/assistant
            """)

    @OptionGroup var credentials: BotCredentialOptions
    @OptionGroup var send: SendOptions

    @Option(help: ArgumentHelp("The echostr plaintext (default: 19 random digits).", valueName: "text"))
    var echostr: String?

    func run() throws {
        let crypt = try credentials.crypt()
        let plaintext = echostr ?? RandomDecimal.digits(19)
        let request: SimulatedRequest
        do {
            request = try SimulatedRequest.urlVerification(
                crypt: crypt, timestamp: send.resolvedTimestamp, nonce: send.resolvedNonce, echostr: plaintext)
        } catch {
            throw ValidationError(error.description)
        }
        let url = send.url(with: request.queryString)
        if send.printCurl {
            print(Curl.command(method: "GET", url: url, bodyFile: nil) + "; echo")
            print("# expected body, exactly (no newline): \(plaintext)")
            return
        }
        let started = ContinuousClock.now
        let result: HTTPResult
        do {
            result = try Curl.send(method: "GET", url: url, body: nil, timeout: send.timeout)
        } catch let failure as CurlFailure {
            print("FAIL: no HTTP answer: \(failure.description)")
            throw ExitCode(1)
        }
        let elapsed = ContinuousClock.now - started
        switch URLVerificationCheck.judge(status: result.status, body: result.body, echostr: plaintext) {
        case .pass:
            print("PASS: 200, body is the echostr plaintext exactly (\(plaintext.utf8.count) bytes)")
            if elapsed > .seconds(1) {
                FileHandle.standardError.write(Data("simulate: warning: the answer took \(elapsed), WeCom wants it within 1 s\n".utf8))
            }
        case .fail(let reason):
            print("FAIL: \(reason)")
            throw ExitCode(1)
        }
    }
}
