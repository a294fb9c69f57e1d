import ArgumentParser

/// `wecom-fcgi simulate …`: play WeCom's part against a callback URL — signed, encrypted requests sent
/// with curl, the answers checked like WeCom checks them.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Act as WeCom: send signed, encrypted callbacks to a URL and check the answers.",
        discussion: """
            Credentials come from --token/--encoding-aes-key/--corp-id or from
            WECOM_APP_TOKEN, WECOM_APP_AES_KEY and WECOM_APP_CORP_ID: the same
            values the server under test uses. Requests are sent with curl.

            Examples:
              wecom-fcgi simulate verify-url --url http://127.0.0.1:8080/wecom/callback
              wecom-fcgi simulate message --url http://127.0.0.1:8080/wecom/callback \\
                  --type text --content hi --from alice
              wecom-fcgi simulate bot message --url http://127.0.0.1:8080/wecom/assistant \\
                  --type text --content hi
            """,
        subcommands: [SimulateVerifyURLCommand.self, SimulateMessageCommand.self, SimulateBotCommand.self])
}
