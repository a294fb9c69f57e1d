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
        var head: [UInt8] = []
        head.reserveCapacity(96 + headers.count * 48)
        func append(_ text: String) { head.append(contentsOf: text.utf8) }
        func appendClean(_ text: String) {
            let utf8 = text.utf8
            if utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
                head.append(contentsOf: utf8.filter { $0 != 13 && $0 != 10 && $0 != 0 })
            } else {
                head.append(contentsOf: utf8)
            }
        }
        append("Status: ")
        append(String(code))
        append(" ")
        append(reason)
        append("\r\nContent-Type: ")
        appendClean(contentType)
        append("\r\nContent-Length: ")
        append(String(body.count))
        append("\r\n")
        for header in headers {
            let name = Self.clean(header.name)
            guard !name.isEmpty, !name.contains(":") else { continue }
            append(name)
            append(": ")
            appendClean(header.value)
            append("\r\n")
        }
        append("\r\n")
        return head
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
