import Foundation

/// A regular expression from the configuration, compiled once at load time.
///
/// Dialect: ICU, through Foundation's `NSRegularExpression` (the syntax of
/// https://unicode-org.github.io/icu/userguide/strings/regexp.html), with no options: case-sensitive,
/// `.` does not match a newline, `^`/`$` anchor the whole text. Matching is a *search*: the pattern may
/// match anywhere, so write `^…$` to match the whole text. Use `(?i)` for case-insensitive matching.
public struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    /// The pattern as written.
    public let source: String
    let regex: NSRegularExpression

    /// Why a pattern was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Why, in words (ICU's own message is not available through Foundation on Linux).
        public var reason: String
        /// `invalid regular expression (<reason>)`.
        public var description: String { "invalid regular expression (\(reason))" }
    }

    /// Compiles a pattern.
    /// - Parameter source: an ICU regular expression.
    /// - Throws: ``ParseError`` when ICU rejects it.
    public init(_ source: String) throws(ParseError) {
        self.source = source
        do {
            regex = try NSRegularExpression(pattern: source)
        } catch {
            throw ParseError(reason: "ICU rejected the pattern")
        }
    }

    /// Whether the pattern matches anywhere in `text`.
    /// - Parameter text: the text to search.
    /// - Returns: `true` on the first match.
    public func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    public var description: String { source }

    public static func == (lhs: RoutePattern, rhs: RoutePattern) -> Bool { lhs.source == rhs.source }
}
