import Platform

/// CGI mode (RFC 3875): one request from the environment and standard input, the response on standard
/// output with a `Status:` line. Used when fd 0 is not a FastCGI listening socket; handy for tests.
public enum CGIGateway {
    /// The environment variables passed to the responder as parameters. Everything else in the
    /// environment (notably the app secrets) stays out of `FastCGIRequest.params`.
    static let metaVariables: Set<String> = [
        "AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "DOCUMENT_ROOT", "DOCUMENT_URI", "GATEWAY_INTERFACE",
        "HTTPS", "PATH_INFO", "PATH_TRANSLATED", "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST",
        "REMOTE_PORT", "REMOTE_USER", "REQUEST_METHOD", "REQUEST_SCHEME", "REQUEST_URI", "SCRIPT_FILENAME",
        "SCRIPT_NAME", "SERVER_ADDR", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE",
    ]

    /// Whether the environment describes a CGI request (`REQUEST_METHOD` is set).
    /// - Returns: `true` when `REQUEST_METHOD` is present and not empty.
    public static func environmentHasRequest() -> Bool {
        guard let method = getenv("REQUEST_METHOD") else { return false }
        return method.pointee != 0
    }

    /// Reads the request, calls `responder` once and writes the response to standard output.
    ///
    /// The body is read from standard input only when `CONTENT_LENGTH` is a valid number (RFC 3875
    /// §4.2: no `CONTENT_LENGTH`, no body), and never more than `min(CONTENT_LENGTH, maxBodyBytes + 1)`
    /// bytes; reading also stops at end of input, so a `CONTENT_LENGTH` larger than what arrives cannot
    /// overrun. `bodyTooLarge` is set when more than `maxBodyBytes` bytes actually arrived.
    /// - Parameters:
    ///   - responder: answers the request.
    ///   - maxBodyBytes: the body limit in bytes.
    /// - Returns: `true` when the whole response was written.
    /// - Throws: `FastCGIError.notACGIRequest` when `REQUEST_METHOD` is not set.
    @discardableResult
    public static func serveOne(responder: some FastCGIResponder, maxBodyBytes: Int) throws(FastCGIError) -> Bool {
        guard environmentHasRequest() else { throw .notACGIRequest }
        var params: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if metaVariables.contains(name) || name.hasPrefix("HTTP_") {
                    params[name] = String(text[text.index(after: equals)...])
                }
            }
            cursor += 1
        }
        let request = FastCGIRequest(params: params)
        var body: [UInt8] = []
        var tooLarge = false
        if let declared = request.contentLength, declared > 0 {
            let limit = max(0, maxBodyBytes)
            body = readStandardInput(upTo: min(declared, limit + 1))
            tooLarge = body.count > limit
            if body.count > limit { body.removeSubrange(limit...) }
        }
        let response = responder.respond(
            to: FastCGIRequest(params: params, body: body, bodyTooLarge: tooLarge))
        return (try? POSIX.writeAll(1, response.encoded())) != nil
    }

    private static func readStandardInput(upTo wanted: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: wanted)
        var count = 0
        while count < wanted {
            let got = try? POSIX.call("read") {
                bytes.withUnsafeMutableBytes { raw in read(0, raw.baseAddress.map { $0 + count }, wanted - count) }
            }
            guard let got, got > 0 else { break }
            count += got
        }
        bytes.removeSubrange(count...)
        return bytes
    }
}
