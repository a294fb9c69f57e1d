import ArgumentParser
import Foundation
import WeComCallback

/// `wecom-fcgi check-config [--config PATH]`: validates a configuration file and prints every
/// problem with its key path and line; exit status 0 when usable (warnings allowed), 1 otherwise.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file and print every problem.",
        discussion: """
            Checks TOML syntax, unknown keys, secrets (inline, *_env, *_file; values are never printed), \
            regular expressions, templates, exec commands, journal directories and action-specific keys. \
            Prints one line per problem as `key.path: message (line N)`. Exit status 0 when the file is \
            usable, 1 when it is not.
            """)

    @Option(name: .long, help: ArgumentHelp(
        "The configuration file (default: $\(Configuration.pathVariable), else \(Configuration.defaultPath)).",
        valueName: "path"))
    var config: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = config ?? environment[Configuration.pathVariable].flatMap { $0.isEmpty ? nil : $0 } ?? Configuration.defaultPath
        do {
            let loaded = try Configuration.load(path: path, environment: environment)
            for warning in loaded.warnings { print("\(path): \(warning)") }
            print("\(path): OK, \(loaded.apps.count) app\(loaded.apps.count == 1 ? "" : "s"): "
                + loaded.apps.map { "\($0.name) (\($0.path ?? "every path"), \($0.routes.count) routes)" }.joined(separator: ", "))
        } catch {
            for problem in error.problems { print("\(path): \(problem)") }
            let count = error.errors.count
            print("\(path): \(count) error\(count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
