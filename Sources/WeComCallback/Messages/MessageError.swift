/// Why a decrypted message (spec §8, §9) or an envelope (§6.1) could not be turned into typed values.
///
/// Unknown `MsgType`, `Event` or `ChangeType` values are never errors (they parse to `.unknown`);
/// only broken XML, missing required fields and unreadable numbers are.
public enum MessageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The XML itself was rejected (see ``XMLError``).
    case xml(XMLError)
    /// A required element is absent; the associated value is its path, e.g. `FromUserName` or
    /// `ScanCodeInfo/ScanResult`.
    case missingField(String)
    /// A numeric element does not hold a number (after trimming whitespace). The value is message
    /// content: the description gives only its length, so logs never show it.
    case invalidValue(field: String, value: String)
    /// The JSON form (``InboundMessage/init(json:)``) is not valid JSON or not an object.
    case invalidJSON(String)

    public var description: String {
        switch self {
        case .xml(let error): return "XML: \(error)"
        case .missingField(let path): return "missing required field \(path)"
        case .invalidValue(let field, let value):
            return "field \(field) is not a valid number (\(value.utf8.count) bytes)"
        case .invalidJSON(let why): return "invalid message JSON: \(why)"
        }
    }
}
