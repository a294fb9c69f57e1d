import ArgumentParser

/// The `wecom-fcgi` command line: `serve` (the default) runs the FastCGI responder.
@main
struct WeComFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wecom-fcgi",
        abstract: "A FastCGI responder for WeCom (企业微信) app callbacks, behind nginx.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self,
            CryptoCommand.self,
            CheckConfigCommand.self,
            SignCommand.self,
            SimulateCommand.self,
            FixturesCommand.self,
            // Further subcommands go here, one file each under Commands/.
        ],
        defaultSubcommand: ServeCommand.self
    )
}
