import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// `wecom-fcgi simulate verify-url`: WeCom's URL-verification GET (spec §5) against a URL, judged
/// like the admin console judges it.
struct SimulateVerifyURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-url",
        abstract: "Send WeCom's URL-verification GET and report pass or fail with the reason.",
        discussion: """
            Encrypts a random 19-digit echostr with a fresh timestamp and a random
            nonce, signs it and sends the GET. Passes when the answer is HTTP 200
            with exactly the echostr plaintext as body; otherwise says what is
            wrong (status, body differs, trailing newline, whitespace, BOM, …).
            Exit status 0 on pass, 1 on fail.

            Example:
              WECOM_APP_TOKEN=… WECOM_APP_AES_KEY=… WECOM_APP_CORP_ID=ww… \\
                wecom-fcgi simulate verify-url --url https://example.com/wecom/callback
            """)

    @OptionGroup var credentials: CredentialOptions
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
        let result: HTTPResult
        do {
            result = try Curl.send(method: "GET", url: url, body: nil, timeout: send.timeout)
        } catch let failure as CurlFailure {
            print("FAIL: no HTTP answer: \(failure.description)")
            throw ExitCode(1)
        }
        switch URLVerificationCheck.judge(status: result.status, body: result.body, echostr: plaintext) {
        case .pass:
            print("PASS: 200, body is the echostr plaintext exactly (\(plaintext.utf8.count) bytes)")
        case .fail(let reason):
            print("FAIL: \(reason)")
            throw ExitCode(1)
        }
    }
}
