/// The body of a `multipart/form-data` request with one file part (RFC 7578), as WeCom's
/// `media/upload` takes it:
///
/// ```
/// --<boundary>\r\n
/// Content-Disposition: form-data; name="media"; filename="out.png"; filelength=1234\r\n
/// Content-Type: image/png\r\n
/// \r\n
/// <the file's bytes>\r\n
/// --<boundary>--\r\n
/// ```
///
/// Written here rather than taken from vapor/multipart-kit, whose 4.x pulls swift-nio (NIOCore,
/// NIOHTTP1) into the binary for these few lines. The boundary is `wecom-fcgi-` and 32 hex digits
/// from 16 random bytes, drawn again in the (unlikely) case the content contains it. The file name is
/// reduced to `[A-Za-z0-9._-]` (``PrivateDirectory/safeFileName(_:fallback:)``), so no quoting or
/// escaping is ever needed.
struct MultipartFormData: Sendable, Equatable {
    /// The whole request body.
    var body: [UInt8]
    /// The boundary (without the leading `--`).
    var boundary: String

    /// The request's `Content-Type` header value.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Builds the body of one file part.
    /// - Parameters:
    ///   - name: the form field (`media`).
    ///   - fileName: the file name (made safe; `fallback` `file` when nothing is left).
    ///   - contentType: the part's `Content-Type`.
    ///   - bytes: the file's content.
    ///   - randomBoundary: draws a boundary (tests inject a fixed one); `nil` when no random bytes.
    /// - Returns: the body, or `nil` when no boundary could be drawn.
    static func singleFile(name: String, fileName: String, contentType: String, bytes: [UInt8],
                           randomBoundary: () -> String? = MultipartFormData.randomBoundary) -> MultipartFormData? {
        for _ in 0..<4 {
            guard let boundary = randomBoundary() else { return nil }
            let marker = Array("--\(boundary)".utf8)
            guard !contains(bytes, marker) else { continue }
            let safeName = PrivateDirectory.safeFileName(fileName, fallback: "file")
            var body: [UInt8] = []
            body.reserveCapacity(bytes.count + 256)
            body += marker + Array("\r\n".utf8)
            body += Array("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(safeName)\"; filelength=\(bytes.count)\r\n".utf8)
            body += Array("Content-Type: \(contentType)\r\n\r\n".utf8)
            body += bytes
            body += Array("\r\n".utf8) + marker + Array("--\r\n".utf8)
            return MultipartFormData(body: body, boundary: boundary)
        }
        return nil
    }

    /// `wecom-fcgi-` and 16 CSPRNG bytes in hex.
    static func randomBoundary() -> String? {
        LibCrypto.randomBytes(16).map { "wecom-fcgi-" + Hex.lowercase($0) }
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
