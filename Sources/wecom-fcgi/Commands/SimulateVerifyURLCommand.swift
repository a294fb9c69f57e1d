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
            WeCom also wants the answer within 1 second: a slower one is warned
            about on stderr. Exit status 0 on pass, 1 on fail.

            Example:
              WECOM_APP_TOKEN=… WECOM_APP_AES_KEY=… WECOM_APP_CORP_ID=ww… \\
                wecom-fcgi simulate verify-url --url https://example.com/wecom/callback
            """)

    @OptionGroup var credentials: CredentialOptions
    @OptionGroup var send: SendOptions

    @Option(help: ArgumentHelp("The echostr plaintext (default: 19 random digits).", valueName: "text"))
    var echostr: String?

    func run() throws {
        try URLVerificationRun.run(crypt: try credentials.crypt(), send: send, echostr: echostr)
    }
}
