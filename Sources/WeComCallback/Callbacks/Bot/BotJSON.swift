import Foundation

/// A JSON value as a plain `Sendable` tree: the decrypted bot messages, the reply objects and the cards
/// of the configuration (spec `wecom-aibot.md` §2, §4).
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `key` of an object (`nil` for anything else or a missing key).
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value at a `/`- or `.`-separated path of object keys and array indexes (`from/userid`).
    public func value(at path: String) -> JSONValue? {
        var node: JSONValue? = self
        for part in path.split(whereSeparator: { $0 == "/" || $0 == "." }) {
            switch node {
            case .object(let members)?: node = members[String(part)]
            case .array(let items)?: node = Int(part).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: return nil
            }
        }
        return node
    }

    /// The string value, or `nil` for any other kind.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The leaves as text by `/`-joined path (`text/content`, `mixed/msg_item/0/msgtype`): the view
    /// templates render from (`{{text.content}}`). Numbers as decimal text, booleans as `true`/`false`.
    public var fields: [String: String] {
        var out: [String: String] = [:]
        func walk(_ value: JSONValue, _ path: String) {
            let join: (String) -> String = { path.isEmpty ? $0 : path + "/" + $0 }
            switch value {
            case .null: break
            case .bool(let b): out[path] = b ? "true" : "false"
            case .int(let i): out[path] = String(i)
            case .double(let d): out[path] = String(d)
            case .string(let s): out[path] = s
            case .array(let items): for (i, item) in items.enumerated() { walk(item, join(String(i))) }
            case .object(let members): for (key, member) in members { walk(member, join(key)) }
            }
        }
        walk(self, "")
        return out
    }

    /// Compact UTF-8 JSON, keys sorted, `/` not escaped.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map(Array.init) ?? Array("null".utf8)
    }
}

/// The hardened JSON reader for bot bodies and decrypted messages: a size and a nesting limit are
/// checked on the bytes before Foundation's decoder (which recurses once per level) sees them.
public enum BotJSON {
    /// The largest document accepted, in bytes: 64 KiB (the default `max_body_bytes`; a message is a few KiB).
    public static let maxBytes = 65536
    /// The deepest nesting of objects and arrays accepted (real messages nest 4 levels).
    public static let maxDepth = 32

    /// Why a document was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong (no content of the document).
        public var reason: String
        public var description: String { "malformed JSON: \(reason)" }
    }

    /// Parses a JSON object within the limits.
    /// - Parameter bytes: UTF-8 JSON.
    /// - Returns: the object (the root must be an object).
    /// - Throws: ``ParseError`` when the document is too large, too deep, not JSON, or not an object.
    public static func parseObject(_ bytes: [UInt8]) throws(ParseError) -> [String: JSONValue] {
        guard bytes.count <= maxBytes else { throw ParseError(reason: "larger than \(maxBytes) bytes") }
        guard depth(of: bytes) <= maxDepth else { throw ParseError(reason: "nested deeper than \(maxDepth) levels") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw ParseError(reason: "not JSON")
        }
        guard case .object(let members) = value else { throw ParseError(reason: "not a JSON object") }
        return members
    }

    /// The deepest nesting of `{`/`[` outside strings (an upper bound of the decoder's recursion).
    static func depth(of bytes: [UInt8]) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
