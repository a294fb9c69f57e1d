import TOMLKit

/// A parsed TOML value as a plain, `Sendable` value tree.
///
/// TOMLKit's types wrap C++ objects and are not `Sendable`; the loader converts the document to this
/// enum once, right after parsing, and validates from it. Tables keep their keys sorted (toml++ keeps
/// no source order); arrays keep their order.
public enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A date, time or date-time, kept as its TOML text (no key of ours takes one).
    case dateTime(String)
    case array([ConfigValue])
    case table([String: ConfigValue])

    /// The TOML type name for error messages (`string`, `integer`, `array`, `table` …).
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .dateTime: return "date-time"
        case .array: return "array"
        case .table: return "table"
        }
    }

    /// How deep tables and arrays may nest: the document's root table is level 1, `[a.b]` is level 3.
    ///
    /// toml++ limits the nesting of inline tables and arrays, but not of dotted keys and table headers
    /// (`k.k.k.…k = 1` with thousands of parts parses fine), and the conversion below recurses once per
    /// level, so a deep file would overflow the stack. No key of ours is deeper than 5 levels.
    public static let maxDepth = 64

    /// A value nested deeper than ``maxDepth``.
    struct TooDeep: Error, Equatable {
        /// The dotted key path down to the first value past the limit (its first 64 levels).
        var keyPath: String
    }

    /// Converts a TOMLKit value.
    /// - Parameters:
    ///   - value: a value from a parsed `TOMLTable`.
    ///   - depth: the level of `value` (the root table is level 1).
    ///   - path: the key path of `value`, for the error.
    /// - Returns: the same value as a ``ConfigValue``.
    /// - Throws: ``TooDeep`` when a table or array inside is nested deeper than ``maxDepth``.
    static func from(_ value: any TOMLValueConvertible, depth: Int, path: String) throws(TooDeep) -> ConfigValue {
        guard depth <= maxDepth else { throw TooDeep(keyPath: path) }
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .boolean(value.bool ?? false)
        case .table:
            guard let table = value.table else { return .table([:]) }
            return try from(table: table, depth: depth, path: path)
        case .array:
            var out: [ConfigValue] = []
            for (i, item) in (value.array ?? []).enumerated() {
                out.append(try from(item, depth: depth + 1, path: "\(path)[\(i)]"))
            }
            return .array(out)
        case .date, .time, .dateTime: return .dateTime(value.debugDescription)
        }
    }

    /// Converts a whole TOMLKit table.
    /// - Parameters:
    ///   - table: a parsed table.
    ///   - depth: the table's level (1 for the document).
    ///   - path: the table's key path (empty for the document).
    /// - Returns: `.table` with every key converted.
    /// - Throws: ``TooDeep`` when a table or array inside is nested deeper than ``maxDepth``.
    static func from(table: TOMLTable, depth: Int = 1, path: String = "") throws(TooDeep) -> ConfigValue {
        guard depth <= maxDepth else { throw TooDeep(keyPath: path) }
        var out: [String: ConfigValue] = [:]
        for key in table.keys {
            if let value = table[key] {
                out[key] = try from(value, depth: depth + 1, path: path.isEmpty ? key : "\(path).\(key)")
            }
        }
        return .table(out)
    }
}
