import CCurl
import Foundation

/// One media transfer over libcurl (the only user of `CCurl`): a GET whose body goes straight into a
/// new private file, or a POST of a file as a multipart form (libcurl streams the file from disk and
/// writes the framing) whose small answer is read into memory.
///
/// Every transfer is bounded while it runs, by libcurl itself: a `Content-Length` over the limit
/// (`CURLOPT_MAXFILESIZE_LARGE`), or the body bytes passing it (the write callback refuses the next
/// block), ends it at once, chunked or not; `CURLOPT_TIMEOUT_MS` is what is left of the route's
/// deadline; the progress callback ends it when `cancelled()` turns true (server shutdown).
/// Only `http` and `https` are spoken, also after a redirect (at most 3 followed).
///
/// Each transfer has its own easy handle; nothing is shared. `curl_global_init` is not called here:
/// `curl_easy_init` does it on first use, and that is thread-safe in libcurl ≥ 7.84 built with the
/// `threadsafe` feature (Debian 12's 7.88 is), the same call FoundationNetworking makes for itself.
enum CurlTransfer {
    /// What a completed 200 answer said about its body.
    struct Head: Sendable, Equatable {
        /// `Content-Type`, if sent (of the last response, after redirects).
        var contentType: String?
        /// The `filename` of `Content-Disposition`, if sent.
        var fileName: String?
        /// The body's size in bytes.
        var size: Int
    }

    /// The file part of a multipart upload.
    struct FilePart: Sendable, Equatable {
        /// The form field's name (`media`).
        var field: String
        /// The file to send (read by libcurl while sending).
        var path: String
        /// The `filename` of the part (already safe: ``PrivateDirectory/safeFileName(_:fallback:)``).
        var fileName: String
        /// The part's `Content-Type`.
        var contentType: String
        /// The file's size in bytes, sent as the `filelength` parameter WeCom's documentation shows
        /// (`Content-Disposition: form-data; name="media"; filename="a.png"; filelength=6`).
        var fileLength: Int
    }

    /// The most redirects followed.
    static let maxRedirects = 3

    /// GETs `url` into a new file at `path` (created with mode 0600; removed again when the transfer fails).
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - path: where the body goes; must not exist.
    ///   - maxBytes: the most body bytes accepted.
    ///   - deadline: when to give up (monotonic).
    ///   - cancelled: polled during the transfer (about once a second, and with every block read);
    ///     `true` ends it with ``MediaError/cancelled``.
    /// - Returns: the head of the answer and the body's size.
    /// - Throws: ``MediaError``: `tooLarge`, `timedOut`, `cancelled`, `httpStatus` (not 200),
    ///   `truncated`, `network`, `invalidURL` (a redirect to another protocol), `file`.
    static func download(_ url: String, toFile path: String, maxBytes: Int, deadline: ContinuousClock.Instant,
                         cancelled: @escaping @Sendable () -> Bool) throws(MediaError) -> Head {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .file("cannot write into the private media directory") }
        let sink = Sink(limit: maxBytes, fd: fd, cancelled: cancelled)
        defer { close(fd) }
        do throws(MediaError) {
            try perform(url, part: nil, sink: sink, deadline: deadline)
        } catch {
            unlink(path)
            throw error
        }
        return Head(contentType: sink.contentType, fileName: sink.disposition.flatMap(fileName(fromContentDisposition:)),
                    size: sink.received)
    }

    /// POSTs `part` as a `multipart/form-data` body to `url` and reads the answer.
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - part: the file to send.
    ///   - maxAnswerBytes: the most answer bytes read.
    ///   - deadline: when to give up (monotonic).
    ///   - cancelled: as for ``download(_:toFile:maxBytes:deadline:cancelled:)``.
    /// - Returns: the answer's body.
    /// - Throws: ``MediaError``: `answerTooLarge` (the answer passed `maxAnswerBytes`), `timedOut`,
    ///   `cancelled`, `httpStatus`, `network`, `file` (the file cannot be read).
    static func upload(_ url: String, part: FilePart, maxAnswerBytes: Int, deadline: ContinuousClock.Instant,
                       cancelled: @escaping @Sendable () -> Bool) throws(MediaError) -> [UInt8] {
        let sink = Sink(limit: maxAnswerBytes, fd: -1, cancelled: cancelled)
        do throws(MediaError) {
            try perform(url, part: part, sink: sink, deadline: deadline)
        } catch {
            if case .tooLarge = error { throw .answerTooLarge(limit: maxAnswerBytes) }
            throw error
        }
        return sink.memory
    }

    /// The `filename` parameter of a `Content-Disposition` header (quoted or not), if any.
    /// - Parameter header: e.g. `attachment; filename="photo.jpg"`.
    static func fileName(fromContentDisposition header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "filename" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Where the callbacks put what they see; lives on the transferring thread only.
    private final class Sink {
        let limit: Int
        let fd: Int32
        let cancelled: @Sendable () -> Bool
        var memory: [UInt8] = []
        var received = 0
        var overLimit = false
        var writeFailed = false
        var wasCancelled = false
        var contentType: String?
        var disposition: String?

        init(limit: Int, fd: Int32, cancelled: @escaping @Sendable () -> Bool) {
            self.limit = limit
            self.fd = fd
            self.cancelled = cancelled
        }

        /// Takes one block of the body; `false` ends the transfer.
        func take(_ block: UnsafeRawBufferPointer) -> Bool {
            if cancelled() {
                wasCancelled = true
                return false
            }
            guard received + block.count <= limit else {
                overLimit = true
                return false
            }
            received += block.count
            guard fd >= 0 else {
                memory.append(contentsOf: block)
                return true
            }
            var offset = 0
            while offset < block.count {
                let written = write(fd, block.baseAddress! + offset, block.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else {
                    writeFailed = true
                    return false
                }
                offset += written
            }
            return true
        }

        /// Takes one header line (a status line starts a new response: redirects have their own headers).
        func header(_ line: UnsafeRawBufferPointer) {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("HTTP/") {
                contentType = nil
                disposition = nil
                return
            }
            guard let colon = text.firstIndex(of: ":") else { return }
            let name = text[..<colon].lowercased()
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            if name == "content-type" { contentType = value }
            if name == "content-disposition" { disposition = value }
        }
    }

    /// Runs one transfer into `sink`; returns when a 200 answer is complete.
    private static func perform(_ url: String, part: FilePart?, sink: Sink, deadline: ContinuousClock.Instant) throws(MediaError) {
        let remaining = deadline - .now
        guard remaining > .zero else { throw .timedOut }
        guard !sink.cancelled() else { throw .cancelled }
        guard let handle = curl_easy_init() else { throw .network("cannot start a transfer") }
        defer { curl_easy_cleanup(handle) }
        let milliseconds = max(1, Int(remaining / .milliseconds(1)))
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let write: wecom_curl_data_callback = { data, size, count, context in
            guard let data, let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            return sink.take(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        let header: wecom_curl_data_callback = { data, size, count, context in
            guard let data, let context else { return 0 }
            Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue().header(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }
        let progress: wecom_curl_xferinfo_callback = { context, _, _, _, _ in
            guard let context else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            guard sink.cancelled() else { return 0 }
            sink.wasCancelled = true
            return 1
        }
        var failed = false
        func set(_ code: CURLcode) { if code != CURLE_OK { failed = true } }
        set(wecom_curl_setopt_string(handle, CURLOPT_URL, url))
        set(wecom_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(wecom_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        set(wecom_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1))
        set(wecom_curl_setopt_long(handle, CURLOPT_MAXREDIRS, maxRedirects))
        set(wecom_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(wecom_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds))
        set(wecom_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds))
        set(wecom_curl_setopt_long(handle, CURLOPT_FAILONERROR, 1))
        set(wecom_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(sink.limit)))
        set(wecom_curl_setopt_string(handle, CURLOPT_USERAGENT, "wecom-fcgi"))
        set(wecom_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, write))
        set(wecom_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        set(wecom_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, header))
        set(wecom_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        set(wecom_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
        set(wecom_curl_setopt_xferinfo_callback(handle, progress))
        set(wecom_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context))
        var mime: OpaquePointer?
        var headers: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_mime_free(mime)
            curl_slist_free_all(headers)
        }
        if let part {
            mime = curl_mime_init(handle)
            let field = curl_mime_addpart(mime)
            set(curl_mime_name(field, part.field))
            set(curl_mime_filedata(field, part.path))
            set(curl_mime_filename(field, part.fileName))
            set(curl_mime_type(field, part.contentType))
            // WeCom's documented form adds `filelength`, which libcurl's own Content-Disposition has no
            // parameter for; this header replaces it (the file name is already plain: letters, digits, `._-`).
            let disposition = "Content-Disposition: form-data; name=\"\(part.field)\"; filename=\"\(part.fileName)\"; filelength=\(part.fileLength)"
            set(curl_mime_headers(field, curl_slist_append(nil, disposition), 1))
            set(wecom_curl_setopt_mime(handle, mime))
            // No `Expect: 100-continue` round trip before the body.
            headers = curl_slist_append(nil, "Expect:")
            set(wecom_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers)))
        }
        guard !failed else { throw .network("libcurl refused an option") }
        let code = curl_easy_perform(handle)
        var status = 0
        set(wecom_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status))
        if sink.wasCancelled { throw .cancelled }
        if sink.overLimit { throw .tooLarge(limit: sink.limit) }
        if sink.writeFailed { throw .file("cannot write into the private media directory") }
        switch code {
        case CURLE_OK:
            guard status == 200 else { throw .httpStatus(status) }
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut
        case CURLE_FILESIZE_EXCEEDED: throw .tooLarge(limit: sink.limit)
        case CURLE_ABORTED_BY_CALLBACK: throw .cancelled
        case CURLE_HTTP_RETURNED_ERROR: throw .httpStatus(status)
        case CURLE_PARTIAL_FILE:
            var expected: curl_off_t = -1
            _ = wecom_curl_getinfo_off(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected)
            throw .truncated(expected: Int(expected), received: sink.received)
        case CURLE_UNSUPPORTED_PROTOCOL: throw .invalidURL
        case CURLE_READ_ERROR: throw .file("cannot read the reply's File")
        default: throw .network(reason(code))
        }
    }

    /// A fixed description of a libcurl error (never a URL: `curl_easy_strerror` names the code only).
    static func reason(_ code: CURLcode) -> String {
        switch code {
        case CURLE_COULDNT_CONNECT: return "cannot connect to host"
        case CURLE_COULDNT_RESOLVE_HOST: return "cannot find host"
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR: return "connection lost"
        case CURLE_GOT_NOTHING: return "empty response"
        case CURLE_TOO_MANY_REDIRECTS: return "more than \(maxRedirects) redirects"
        case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed"
        case CURLE_PEER_FAILED_VERIFICATION: return "untrusted server certificate"
        default: return "libcurl error \(code.rawValue): \(String(cString: curl_easy_strerror(code)))"
        }
    }
}
