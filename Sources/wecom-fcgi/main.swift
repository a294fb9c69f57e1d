import ArgumentParser

// Temporary root until the serve command lands.
struct WeComFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wecom-fcgi", abstract: "A FastCGI responder for WeCom app callbacks.",
        subcommands: [CryptoCommand.self, CheckConfigCommand.self])
}
WeComFCGI.main()
