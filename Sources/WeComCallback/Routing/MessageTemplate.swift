import Foundation
import Mustache

/// A Mustache template over a message's field view, parsed once when the configuration is loaded.
///
/// Names are field-view paths (``InboundMessage/fields``): `{{Content}}`, `{{FromUserName}}`,
/// `{{SendLocationInfo/Label}}`, `{{SendPicsInfo/PicList/item/0/PicMd5Sum}}`. swift-mustache does not
/// accept `/` in a name (it splits names on `.` and walks nested objects), so inside a tag every `/`
/// after the tag's first character is rewritten to `.` before parsing, and the field view is given
/// to the renderer as nested dictionaries (`["SendLocationInfo": ["Label": …]]`). `{{A.B}}` and
/// `{{A/B}}` are therefore the same name. Sections work on nested fields (`{{#SendLocationInfo}}…{{/SendLocationInfo}}`),
/// a missing field renders as the empty string, and so does a name that is not a leaf (`{{SendLocationInfo}}`,
/// or `{{Event}}` in a message whose `Event` element repeats: its paths are `Event/0`, `Event/1`);
/// **nothing is HTML-escaped** (the output goes into a CDATA section, not HTML). Partials are not available.
public struct MessageTemplate: Sendable, Equatable, CustomStringConvertible {
    /// The template as written in the configuration.
    public let source: String
    let template: MustacheTemplate

    /// The longest template source accepted, in UTF-8 bytes: 16 KiB. swift-mustache's parser takes time
    /// quadratic in the number of tags (50,000 tags: 20 s), and a reload runs on the signal thread.
    public static let maxSourceBytes = 16384

    /// Why a template was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// swift-mustache's reason, e.g. `unfinishedName`; or the whole message when `line` is 0.
        public var reason: String
        /// 1-based line inside the template; 0 when the template was refused as a whole (too long).
        public var line: Int
        /// 1-based column inside the template.
        public var column: Int
        /// `invalid template: <reason> at line L, column C`, or `reason` alone when `line` is 0.
        public var description: String {
            line > 0 ? "invalid template: \(reason) at line \(line), column \(column)" : reason
        }
    }

    /// Parses a template.
    /// - Parameter source: the template text (`{{Name}}` tags over field-view paths).
    /// - Throws: ``ParseError`` for a syntax error (unclosed tag, mismatched section …) or a source
    ///   longer than ``maxSourceBytes``.
    public init(_ source: String) throws(ParseError) {
        guard source.utf8.count <= Self.maxSourceBytes else {
            throw ParseError(reason: "template longer than \(Self.maxSourceBytes) bytes", line: 0, column: 0)
        }
        self.source = source
        // The pragma switches off HTML escaping for this template.
        let prepared = "{{%CONTENT_TYPE:TEXT}}" + Self.rewritingSlashes(source)
        do {
            template = try MustacheTemplate(string: prepared)
        } catch let error as MustacheTemplate.ParserError {
            let column = error.context.lineNumber == 1
                ? max(1, error.context.columnNumber - 22) : error.context.columnNumber
            throw ParseError(reason: "\(error.error)", line: error.context.lineNumber, column: column)
        } catch {
            throw ParseError(reason: "\(error)", line: 1, column: 1)
        }
    }

    /// Renders the template over a field view.
    /// - Parameter fields: leaf path → text (``InboundMessage/fields``).
    /// - Returns: the rendered text.
    public func render(_ fields: [String: String]) -> String {
        template.render(Self.nested(fields))
    }

    public var description: String { source }

    public static func == (lhs: MessageTemplate, rhs: MessageTemplate) -> Bool { lhs.source == rhs.source }

    /// Whether the template contains no tag at all (rendering it gives back `source`).
    public var isConstant: Bool { !source.contains("{{") }

    /// A node of the field view that is not a leaf: names resolve inside it (`{{a/b}}`, sections), and
    /// as a value it renders as the empty string, like a missing field (swift-mustache would otherwise
    /// print a dictionary's description, in no fixed order).
    struct FieldGroup: MustacheParent, MustacheCustomRenderable {
        var children: [String: Any] = [:]
        func child(named name: String) -> Any? { children[name] }
        var renderText: String { "" }
        var isNull: Bool { false }
    }

    /// The field view as nested groups: `a/b/c → v` becomes `["a": FieldGroup(["b": FieldGroup(["c": v])])]`.
    /// When a path is both a leaf and a prefix of another path, the leaf wins.
    static func nested(_ fields: [String: String]) -> [String: Any] {
        var root: [String: Any] = [:]
        for (path, value) in fields.sorted(by: { $0.key < $1.key }) {
            insert(value, at: path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)[...], into: &root)
        }
        return root
    }

    private static func insert(_ value: String, at path: ArraySlice<String>, into node: inout [String: Any]) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        if rest.isEmpty {
            node[head] = value
            return
        }
        if node[head] is String { return }
        var child = node[head] as? FieldGroup ?? FieldGroup()
        insert(value, at: rest, into: &child.children)
        node[head] = child
    }

    /// Rewrites `/` to `.` inside `{{…}}` tags, except a closing tag's leading `/` and the bodies of
    /// comments (`!`), partials (`>`, `<`), delimiter changes (`=`) and pragmas (`%`).
    static func rewritingSlashes(_ source: String) -> String {
        guard source.contains("/") else { return source }
        var out = ""
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.upperBound]
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { break }
            let body = rest[..<close.lowerBound]
            let trimmed = body.drop(while: { $0 == " " || $0 == "{" || $0 == "&" || $0 == "#" || $0 == "^" })
            if let first = trimmed.first, "!><=%$".contains(first) {
                out += body
            } else {
                let leading = body.prefix { $0 == " " || $0 == "/" || $0 == "{" || $0 == "&" || $0 == "#" || $0 == "^" }
                out += leading
                out += body.dropFirst(leading.count).replacingOccurrences(of: "/", with: ".")
            }
            rest = rest[close.lowerBound...]
        }
        out += rest
        return out
    }
}
