import ArgumentParser

/// `wecom-fcgi fixtures …`: deterministic curl fixtures for testing a deployment.
struct FixturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures",
        abstract: "Generate signed, encrypted curl fixtures and a runner script.",
        discussion: """
            Example:
              wecom-fcgi fixtures generate /tmp/fixtures --seed 1
              /tmp/fixtures/run.sh http://127.0.0.1:8080/wecom/callback
            """,
        subcommands: [FixturesGenerateCommand.self])
}
