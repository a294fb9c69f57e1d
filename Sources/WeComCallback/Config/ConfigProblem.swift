/// One problem found in a configuration file: where (key path and, when known, line) and what.
///
/// The message never contains a secret's value: only key names, environment variable names and
/// file paths.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Whether the problem makes the file unusable.
    public enum Severity: String, Sendable, Equatable {
        /// The configuration is refused.
        case error
        /// The configuration is accepted, but something is probably wrong (e.g. `timeout_ms` over 4500).
        case warning
    }

    /// Error or warning.
    public var severity: Severity
    /// The key path, e.g. `app[0].route[2].content_regex`; empty for a problem with the whole file.
    public var keyPath: String
    /// What is wrong, in one sentence without a trailing period.
    public var message: String
    /// The 1-based line in the file, when known.
    public var line: Int?
    /// The 1-based column, when known (TOML syntax errors only).
    public var column: Int?

    /// Creates a problem.
    /// - Parameters:
    ///   - severity: error (default) or warning.
    ///   - keyPath: where, e.g. `app[0].token`; empty for the whole file.
    ///   - message: what is wrong.
    ///   - line: the 1-based line, when known.
    ///   - column: the 1-based column, when known.
    public init(_ severity: Severity = .error, _ keyPath: String, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.severity = severity
        self.keyPath = keyPath
        self.message = message
        self.line = line
        self.column = column
    }

    /// `[warning: ]<keyPath>: <message>[ (line N[, column C])]`, the form `check-config` prints.
    public var description: String {
        var text = severity == .warning ? "warning: " : ""
        text += keyPath.isEmpty ? message : "\(keyPath): \(message)"
        if let line {
            text += column.map { " (line \(line), column \($0))" } ?? " (line \(line))"
        }
        return text
    }
}

/// A configuration that cannot be used, with every problem found (not just the first).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// All problems, errors and warnings, in file order (server, then each app and its routes).
    public var problems: [ConfigProblem]

    /// Creates the error.
    /// - Parameter problems: the problems found; at least one should be an error.
    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    /// Creates the error for a single problem with the whole file.
    /// - Parameter message: what is wrong.
    public init(_ message: String) {
        self.problems = [ConfigProblem(.error, "", message)]
    }

    /// Only the errors.
    public var errors: [ConfigProblem] { problems.filter { $0.severity == .error } }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
