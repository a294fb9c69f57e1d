extension FastCGIResponse {
    /// The standard reason phrase for `status` (`"OK"`, `"Payload Too Large"` …); `"Unknown"` otherwise.
    public var reasonPhrase: String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Unknown"
        }
    }

    /// The CGI response head: `Status: 200 OK\r\nContent-Type: …\r\nContent-Length: N\r\n<headers>\r\n`.
    ///
    /// CR, LF and NUL are removed from header names and values so a value can never start a new header;
    /// a status outside 100…999 is written as 500.
    /// - Returns: the head bytes, ending with the empty line.
    public func encodedHead() -> [UInt8] {
        let code = (100...999).contains(status) ? status : 500
        let reason = code == status ? reasonPhrase : "Internal Server Error"
        var head = "Status: \(code) \(reason)\r\n"
        head += "Content-Type: \(Self.clean(contentType))\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for header in headers {
            let name = Self.clean(header.name)
            guard !name.isEmpty, !name.contains(":") else { continue }
            head += "\(name): \(Self.clean(header.value))\r\n"
        }
        head += "\r\n"
        return Array(head.utf8)
    }

    /// Head and body, as written to the web server.
    /// - Returns: `encodedHead()` followed by `body`.
    public func encoded() -> [UInt8] {
        encodedHead() + body
    }

    private static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\0" }))
    }
}
