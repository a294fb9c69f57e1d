/// Why an XML document was rejected by ``XMLReader`` (spec §11).
///
/// Offsets are byte offsets into the input (after nothing: the BOM, if any, counts).
/// Every case is produced without expanding or fetching anything: DTDs and entity
/// definitions are refused as soon as their markup is seen.
public enum XMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `<!DOCTYPE` declaration (internal or external DTD) was found at `offset`.
    case doctypeForbidden(offset: Int)
    /// An `<!ENTITY` definition, or a reference to an entity other than the five predefined ones
    /// and numeric character references (e.g. `&xxe;`), was found at `offset`.
    case entityForbidden(offset: Int, name: String)
    /// The document is `bytes` long, more than the `limit` (bytes).
    case tooLarge(bytes: Int, limit: Int)
    /// Elements are nested deeper than `limit` levels (the root is level 1).
    case tooDeep(limit: Int)
    /// The document has more than `limit` elements.
    case tooManyElements(limit: Int)
    /// The bytes are not well-formed UTF-8 at `offset`.
    case invalidUTF8(offset: Int)
    /// The document is not well-formed XML at `offset`.
    case malformed(offset: Int, reason: String)
    /// The input ended inside the construct named by `what` (e.g. `element <xml>`, `CDATA section`).
    case unterminated(String)

    /// One line of printable text: the input's names (element and entity names, which come from
    /// unauthenticated input) appear capped and with control characters escaped (``printable(_:limit:)``).
    public var description: String {
        switch self {
        case .doctypeForbidden(let offset): return "DOCTYPE declarations are forbidden (at byte \(offset))"
        case .entityForbidden(let offset, let name):
            return "entity \(name.isEmpty ? "definition" : "'\(Self.printable(name))'") is forbidden (at byte \(offset))"
        case .tooLarge(let bytes, let limit): return "document too large: \(bytes) bytes, limit \(limit)"
        case .tooDeep(let limit): return "elements nested deeper than \(limit) levels"
        case .tooManyElements(let limit): return "more than \(limit) elements"
        case .invalidUTF8(let offset): return "invalid UTF-8 at byte \(offset)"
        case .malformed(let offset, let reason): return "malformed XML at byte \(offset): \(Self.printable(reason, limit: 256))"
        case .unterminated(let what): return "document ends inside \(Self.printable(what, limit: 256))"
        }
    }

    /// `text` as one line of printable text for an error message: at most `limit` Unicode scalars (then
    /// `…`), control characters (C0, DEL, C1) and line or paragraph separators written as `\u{…}`.
    /// - Parameters:
    ///   - text: e.g. an element name from the input.
    ///   - limit: how many scalars to keep (64 by default, the cap for a name).
    /// - Returns: the printable form; `text` itself when it is short and printable.
    public static func printable(_ text: some StringProtocol, limit: Int = 64) -> String {
        var out = ""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == limit {
                out += "…"
                break
            }
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator:
                out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
