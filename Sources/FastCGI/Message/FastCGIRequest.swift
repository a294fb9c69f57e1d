import Platform

/// One request as the web server handed it over: the FastCGI (or CGI) parameters and the body bytes.
///
/// A value type with no pointers into libfcgi: everything is copied out before the responder sees it.
public struct FastCGIRequest: Sendable, Equatable {
    /// Every parameter the web server sent (`REQUEST_METHOD`, `QUERY_STRING`, `HTTP_*` …), name → value
    /// (a later duplicate wins). Built when read: the accessors below look single names up without it.
    public var params: [String: String] {
        get { parameters.dictionary }
        set { parameters = Parameters(newValue) }
    }
    /// The parameters as received.
    var parameters: Parameters
    /// The body bytes that actually arrived, at most `maxBodyBytes` of them.
    public var body: [UInt8]
    /// `true` when more than `maxBodyBytes` bytes were available; `body` then holds only the first
    /// `maxBodyBytes` bytes and the rest was not read.
    public var bodyTooLarge: Bool

    /// Creates a request.
    /// - Parameters:
    ///   - params: the FastCGI/CGI parameters, name → value.
    ///   - body: the body bytes that arrived (already capped).
    ///   - bodyTooLarge: whether the body exceeded the transport's limit.
    public init(params: [String: String], body: [UInt8] = [], bodyTooLarge: Bool = false) {
        self.init(parameters: Parameters(params), body: body, bodyTooLarge: bodyTooLarge)
    }

    init(parameters: Parameters, body: [UInt8], bodyTooLarge: Bool) {
        self.parameters = parameters
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    public static func == (lhs: FastCGIRequest, rhs: FastCGIRequest) -> Bool {
        lhs.params == rhs.params && lhs.body == rhs.body && lhs.bodyTooLarge == rhs.bodyTooLarge
    }

    /// The value of one parameter, or `nil` when the web server did not send it.
    /// - Parameter name: the parameter name, e.g. `"REMOTE_ADDR"`.
    /// - Returns: the value as sent (not decoded).
    public subscript(_ name: String) -> String? { parameters.value(of: name) }

    /// `REQUEST_METHOD`, e.g. `GET`; empty when absent.
    public var requestMethod: String { self["REQUEST_METHOD"] ?? "" }
    /// `QUERY_STRING`, still percent-encoded; empty when absent.
    public var queryString: String { self["QUERY_STRING"] ?? "" }
    /// `DOCUMENT_URI` (nginx): the path without the query, after nginx's normalisation.
    public var documentURI: String? { self["DOCUMENT_URI"] }
    /// `SCRIPT_NAME`.
    public var scriptName: String? { self["SCRIPT_NAME"] }
    /// `PATH_INFO`.
    public var pathInfo: String? { self["PATH_INFO"] }
    /// `CONTENT_TYPE`.
    public var contentType: String? { self["CONTENT_TYPE"].flatMap { $0.isEmpty ? nil : $0 } }
    /// `REMOTE_ADDR`: the client's address as the web server saw it.
    public var remoteAddress: String? { self["REMOTE_ADDR"].flatMap { $0.isEmpty ? nil : $0 } }
    /// `REQUEST_START`: when the web server had the request, Unix seconds with a fraction (nginx:
    /// `fastcgi_param REQUEST_START $msec;`); `nil` when absent or not a number.
    public var requestStart: Double? { self["REQUEST_START"].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil } }

    /// `CONTENT_LENGTH` as a number of bytes; `nil` when absent, empty or not a non-negative decimal.
    /// Informative only: the transport reads what actually arrives, whatever this says.
    public var contentLength: Int? {
        guard let text = self["CONTENT_LENGTH"], !text.isEmpty, let value = Int(text), value >= 0 else {
            return nil
        }
        return value
    }

    /// The request path without the query: `DOCUMENT_URI` when present, else `SCRIPT_NAME` + `PATH_INFO`,
    /// else `/`.
    public var path: String {
        if let uri = documentURI, !uri.isEmpty { return uri }
        let joined = (scriptName ?? "") + (pathInfo ?? "")
        return joined.isEmpty ? "/" : joined
    }
}

/// A request's parameters as the web server sent them: every `NAME=value` entry copied into one byte
/// buffer, with the offsets of each entry.
///
/// nginx sends about 30 parameters and a request reads about 8 of them: decoding and hashing every name
/// and value into a dictionary was about a tenth of the responder's work per request. Here reading the
/// parameters is one copy, and a lookup compares bytes (the last entry of a name wins, as in a dictionary
/// filled in order); only the values asked for become strings (invalid UTF-8 repaired, as
/// `String(cString:)` does).
struct Parameters: Sendable {
    /// One entry: `NAME` is `bytes[start..<equals]`, the value `bytes[(equals + 1)..<end]`.
    struct Entry: Sendable {
        var start: Int
        var equals: Int
        var end: Int
    }

    private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []

    init() {}

    init(_ dictionary: [String: String]) {
        for (name, value) in dictionary { append(name: Array(name.utf8), value: Array(value.utf8)) }
    }

    /// Adds one `NAME=value` entry given as a C string (without `=`: ignored, like libfcgi's environment).
    mutating func append(entry: UnsafePointer<CChar>) {
        let length = strlen(entry)
        entry.withMemoryRebound(to: UInt8.self, capacity: length) { base in
            let text = UnsafeBufferPointer(start: base, count: length)
            guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else { return }
            let start = bytes.count
            bytes.append(contentsOf: text)
            entries.append(Entry(start: start, equals: start + equals, end: bytes.count))
        }
    }

    /// Adds one entry from its name and value bytes.
    mutating func append(name: [UInt8], value: [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: name)
        let equals = bytes.count
        bytes.append(UInt8(ascii: "="))
        bytes.append(contentsOf: value)
        entries.append(Entry(start: start, equals: equals, end: bytes.count))
    }

    /// The value of the last entry named `name`, or `nil`.
    func value(of name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted -> String? in
            bytes.withUnsafeBufferPointer { all -> String? in
                guard let base = all.baseAddress else { return nil }
                for entry in entries.reversed() where entry.equals - entry.start == wanted.count {
                    if wanted.isEmpty || wanted.baseAddress.map({ memcmp(base + entry.start, $0, wanted.count) == 0 }) == true {
                        return String(decoding: UnsafeBufferPointer(rebasing: all[(entry.equals + 1)..<entry.end]), as: UTF8.self)
                    }
                }
                return nil
            }
        }
    }

    /// Every entry, name → value (a later duplicate wins).
    var dictionary: [String: String] {
        var out = [String: String](minimumCapacity: entries.count)
        for entry in entries {
            out[String(decoding: bytes[entry.start..<entry.equals], as: UTF8.self)] =
                String(decoding: bytes[(entry.equals + 1)..<entry.end], as: UTF8.self)
        }
        return out
    }
}
