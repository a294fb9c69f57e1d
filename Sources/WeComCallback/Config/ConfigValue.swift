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

    /// Converts a TOMLKit value.
    /// - Parameter value: a value from a parsed `TOMLTable`.
    /// - Returns: the same value as a ``ConfigValue``.
    static func from(_ value: any TOMLValueConvertible) -> ConfigValue {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .boolean(value.bool ?? false)
        case .table: return value.table.map(from(table:)) ?? .table([:])
        case .array: return .array(value.array.map { $0.map(from) } ?? [])
        case .date, .time, .dateTime: return .dateTime(value.debugDescription)
        }
    }

    /// Converts a whole TOMLKit table.
    /// - Parameter table: a parsed table.
    /// - Returns: `.table` with every key converted.
    static func from(table: TOMLTable) -> ConfigValue {
        var out: [String: ConfigValue] = [:]
        for key in table.keys {
            if let value = table[key] { out[key] = from(value) }
        }
        return .table(out)
    }
}
