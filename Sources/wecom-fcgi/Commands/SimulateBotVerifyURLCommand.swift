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
            echostr plaintext as body. WeCom also wants the answer within 1 second:
            a slower one is warned about on stderr. Exit status 0 on pass, 1 on fail.

            Example:
              WECOM_BOT_TOKEN=… WECOM_BOT_AES_KEY=… \\
                wecom-fcgi simulate bot verify-url --url https://example.com/wecom/assistant
            """)

    @OptionGroup var credentials: BotCredentialOptions
    @OptionGroup var send: SendOptions

    @Option(help: ArgumentHelp("The echostr plaintext (default: 19 random digits).", valueName: "text"))
    var echostr: String?

    func run() throws {
        try URLVerificationRun.run(crypt: try credentials.crypt(), send: send, echostr: echostr)
    }
}
