import ArgumentParser

/// `wecom-fcgi simulate bot …`: play WeCom's part against an AI bot's callback URL (API mode).
struct SimulateBotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bot",
        abstract: "Act as WeCom for an AI bot (智能机器人): JSON callbacks, stream refreshes, checked replies.",
        discussion: """
            Credentials come from --token/--encoding-aes-key or from WECOM_BOT_TOKEN and
            WECOM_BOT_AES_KEY; the receiveid of an AI bot is always "". Requests are sent
            with curl.

            Examples:
              wecom-fcgi simulate bot verify-url --url http://127.0.0.1:8080/wecom/assistant
              wecom-fcgi simulate bot message --url http://127.0.0.1:8080/wecom/assistant \\
                  --type text --content "写一首诗"
              wecom-fcgi simulate bot message --url … --type event --event enter_chat
            """,
        subcommands: [SimulateBotVerifyURLCommand.self, SimulateBotMessageCommand.self, SimulateBotCheckReplyCommand.self])
}
