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
        // Scanned as one contiguous UTF-8 buffer by offsets (splitting into an array of substrings and
        // decoding each through `Substring` was about a tenth of a request's in-process work).
        var raw = raw
        raw.makeContiguousUTF8()
        let result = raw.utf8.withContiguousStorageIfAvailable { bytes -> Result<QueryString, ParseError> in
            var values = [String: String](minimumCapacity: 8)
            var failure: ParseError?
            forEachPair(in: bytes) { nameRange, valueRange in
                let name: String, value: String
                do throws(ParseError) {
                    name = try decoded(UnsafeBufferPointer(rebasing: bytes[nameRange])) { .badPercentEscape($0) } notUTF8: { .notUTF8($0) }
                    value = try decoded(UnsafeBufferPointer(rebasing: bytes[valueRange])) { _ in .badPercentEscape(name) } notUTF8: { _ in .notUTF8(name) }
                } catch {
                    failure = error
                    return false
                }
                guard values.updateValue(value, forKey: name) == nil else {
                    failure = .duplicate(name)
                    return false
                }
                return true
            }
            return failure.map { .failure($0) } ?? .success(QueryString(values: values))
        }
        // A native string always has contiguous UTF-8 (made so above).
        return try (result ?? .success(QueryString(values: [:]))).get()
    }

    /// Splits a raw query into its `name=value` pairs, in order: at each `&`, then at the pair's first
    /// `=` (a pair without one has an empty value); empty pairs (`&&`, a trailing `&`) are skipped.
    /// Nothing is decoded. Shared by ``parse(_:)`` and the request path's plain-query reader.
    /// - Parameters:
    ///   - bytes: the raw query's UTF-8 bytes.
    ///   - body: takes each pair's name and value as ranges of `bytes`; `false` stops the walk.
    @inline(__always)
    static func forEachPair(in bytes: UnsafeBufferPointer<UInt8>, _ body: (_ name: Range<Int>, _ value: Range<Int>) -> Bool) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            defer { start = end + 1 }
            if end == start { continue }
            var nameEnd = start
            while nameEnd < end, bytes[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
            guard body(start..<nameEnd, min(nameEnd + 1, end)..<end) else { return }
        }
    }

    /// One name or value, percent-decoded. Without a `%` the bytes are a slice of a `String` cut at ASCII
    /// delimiters and so already valid UTF-8: they are copied as they are (the usual case: WeCom's
    /// parameters are digits, letters and base64).
    private static func decoded(
        _ raw: UnsafeBufferPointer<UInt8>, badEscape: (String) -> ParseError, notUTF8: (String) -> ParseError
    ) throws(ParseError) -> String {
        guard raw.contains(UInt8(ascii: "%")) else { return String(decoding: raw, as: UTF8.self) }
        let printable = String(decoding: raw.prefix(40), as: UTF8.self)
        guard let bytes = percentDecode(raw) else { throw badEscape(printable) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw notUTF8(printable) }
        return text
    }

    /// Decodes `%XX` escapes once; every other byte (including `+`) is kept. `nil` for a bad escape.
    static func percentDecode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            let c = input[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < input.count, let hi = hexValue(input[i + 1]), let lo = hexValue(input[i + 2]) else { return nil }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(c)
                i += 1
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
