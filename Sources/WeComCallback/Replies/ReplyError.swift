/// Why a reply (JSON from an external program, or built in code) was refused (spec §10).
public enum ReplyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is not valid JSON.
    case invalidJSON(String)
    /// The JSON (or a nested value named by the path) is not an object.
    case notAnObject(String)
    /// A required key is missing; the value is its path, e.g. `MediaId`, `Articles/0/Title`.
    case missingField(String)
    /// A key has the wrong JSON type (path, expected type).
    case wrongType(field: String, expected: String)
    /// `MsgType` is not a reply type this program knows.
    case unknownType(String)
    /// A `news` reply has this many articles; 1…8 are allowed.
    case articleCount(Int)
    /// The template card is nested deeper or has more elements than allowed.
    case tooComplex(String)

    public var description: String {
        switch self {
        case .invalidJSON(let why): return "reply is not valid JSON: \(why)"
        case .notAnObject(let path): return "\(path.isEmpty ? "reply" : path) must be a JSON object"
        case .missingField(let path): return "reply is missing \(path)"
        case .wrongType(let field, let expected): return "reply field \(field) must be \(expected)"
        case .unknownType(let type): return "unknown reply MsgType '\(type)'"
        case .articleCount(let n): return "news reply needs 1 to 8 articles, got \(n)"
        case .tooComplex(let why): return "template card too complex: \(why)"
        }
    }
}
