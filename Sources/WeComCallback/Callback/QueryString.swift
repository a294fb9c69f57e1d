/// The query parameters of a callback request, each percent-decoded exactly once (spec §5.3).
///
/// `+` is kept as `+` (base64 uses it; WeCom never form-encodes a space as `+`). A parameter given
/// twice is an error, because it would make the signed value ambiguous.
public struct QueryString: Sendable, Equatable {
    /// Parameter name → decoded value.
    public private(set) var values: [String: String]

    public subscript(name: String) -> String? { values[name] }

    /// Why a query string was refused; each case names the parameter.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case duplicate(String)
        case badPercentEscape(String)
        case notUTF8(String)

        public var description: String {
            switch self {
            case .duplicate(let name): return "parameter \(name) given more than once"
            case .badPercentEscape(let name): return "parameter \(name) has a malformed percent escape"
            case .notUTF8(let name): return "parameter \(name) is not UTF-8 after decoding"
            }
        }
    }

    /// Parses a raw `QUERY_STRING`.
    ///
    /// - Parameter raw: the percent-encoded query, without the leading `?`.
    /// - Returns: the decoded parameters (a name without `=` has the empty value).
    /// - Throws: ``ParseError`` for a duplicated name, a malformed `%XX` escape or a value that is not UTF-8.
    public static func parse(_ raw: String) throws(ParseError) -> QueryString {
        var values = [String: String](minimumCapacity: 8)
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let nameEnd = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            let rawName = pair[pair.startIndex..<nameEnd]
            let rawValue = nameEnd < pair.endIndex ? pair[pair.index(after: nameEnd)...] : pair[pair.endIndex...]
            let name = try decoded(rawName) { .badPercentEscape($0) } notUTF8: { .notUTF8($0) }
            let value = try decoded(rawValue) { _ in .badPercentEscape(name) } notUTF8: { _ in .notUTF8(name) }
            guard values.updateValue(value, forKey: name) == nil else { throw .duplicate(name) }
        }
        return QueryString(values: values)
    }

    /// One name or value, percent-decoded. Without a `%` the bytes are a slice of a `String` and so
    /// already valid UTF-8: they are copied as they are (the usual case: WeCom's parameters are
    /// digits, letters and base64).
    private static func decoded(
        _ raw: Substring.UTF8View.SubSequence, badEscape: (String) -> ParseError, notUTF8: (String) -> ParseError
    ) throws(ParseError) -> String {
        guard raw.contains(UInt8(ascii: "%")) else { return String(Substring(raw)) }
        let printable = String(decoding: raw.prefix(40), as: UTF8.self)
        guard let bytes = percentDecode(raw) else { throw badEscape(printable) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw notUTF8(printable) }
        return text
    }

    /// Decodes `%XX` escapes once; every other byte (including `+`) is kept. `nil` for a bad escape.
    static func percentDecode(_ input: Substring.UTF8View.SubSequence) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var i = input.startIndex
        while i < input.endIndex {
            let c = input[i]
            if c == UInt8(ascii: "%") {
                let h = input.index(after: i)
                guard h < input.endIndex else { return nil }
                let l = input.index(after: h)
                guard l < input.endIndex, let hi = hexValue(input[h]), let lo = hexValue(input[l]) else { return nil }
                out.append(hi << 4 | lo)
                i = input.index(after: l)
            } else {
                out.append(c)
                i = input.index(after: i)
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
