import Foundation
import WeComCallback

/// What the simulator needs of the server's ``JSONValue`` beyond it: reading a whole reply (any root, no
/// limits — the simulator reads the server under test, not the internet), showing it to a person, and the
/// accessors its checks use. ``JSONValue/encoded()`` (sorted keys, so the curl fixtures are stable) is the
/// server's.
extension JSONValue {
    /// Parses UTF-8 JSON text.
    /// - Parameter bytes: the JSON text.
    /// - Returns: the tree.
    /// - Throws: `DecodingError` from `JSONDecoder` (its description says where the text is malformed).
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The indented encoding (sorted keys, two-space indent) for showing a reply to a person.
    public func pretty() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The elements of an array value; `nil` otherwise.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The value of a boolean; `nil` otherwise.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether this is an object.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
