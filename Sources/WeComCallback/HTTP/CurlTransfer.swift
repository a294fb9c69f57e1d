import CCurl
import Foundation
import Platform

/// Every HTTP transfer of the server, over libcurl (the only user of `CCurl` and of ``CurlLibrary``):
/// - ``download(_:toFile:maxBytes:deadline:cancelled:)``: a GET whose body goes straight into a new
///   private file (media/get, AI-bot media URLs);
/// - ``upload(_:part:maxAnswerBytes:deadline:cancelled:)``: a POST of a file as a multipart form
///   (libcurl streams the file from disk and writes the framing) whose small answer is read into
///   memory (media/upload);
/// - ``request(_:cancelled:onChunk:)``: a GET or POST with the body in memory whose answer is read
///   into memory or handed over chunk by chunk as it arrives (the WeCom API's JSON calls, the `llm`
///   action's streamed chat completion, an AI bot's `response_url`).
///
/// Every transfer is bounded while it runs, by libcurl itself: a `Content-Length` over the limit
/// (`CURLOPT_MAXFILESIZE_LARGE`), or the body bytes passing it (the write callback refuses the next
/// block), ends it at once, chunked or not; `CURLOPT_TIMEOUT_MS` (and the connect timeout) is what is
/// left of the deadline; the progress callback ends it when `cancelled()` turns true (server
/// shutdown). Only `http` and `https` are spoken, also after a redirect (at most 3 followed).
/// All of it runs on the calling thread, callbacks included: these are blocking calls.
///
/// libcurl itself is loaded by the first transfer (``CurlLibrary/shared``); when it cannot be, every
/// transfer throws ``TransferError/network(code:reason:)`` ("libcurl4 is not installed …"). Each
/// transfer has its own easy handle; nothing is shared between transfers (no connection reuse).
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

    /// One request with its body in memory, for ``request(_:cancelled:onChunk:)``.
    struct Request: Sendable, Equatable {
        /// The two methods spoken.
        enum Method: String, Sendable {
            /// No body is sent.
            case get = "GET"
            /// ``Request/body`` is sent with its `Content-Length` (no `Expect: 100-continue`).
            case post = "POST"
        }

        /// `GET` or `POST`.
        var method: Method
        /// An `http` or `https` URL.
        var url: String
        /// Extra header lines, each `Name: value` (e.g. `Content-Type: application/json`); a line with a
        /// CR, LF or NUL is refused (``TransferError/network(code:reason:)``, code 43).
        var headers: [String] = []
        /// The body of a `POST`, sent as is (ignored for `GET`).
        var body: [UInt8] = []
        /// The most answer body bytes read, whether kept or handed to `onChunk`; more ends the transfer
        /// with ``TransferError/tooLarge(limit:)``.
        var maxAnswerBytes: Int
        /// When to give up (monotonic); the transfer's timeout is what is left of it.
        var deadline: ContinuousClock.Instant
    }

    /// What ``request(_:cancelled:onChunk:)`` got back: any status, 2xx or not.
    struct Response: Sendable, Equatable {
        /// The HTTP status of the last response (after redirects).
        var status: Int
        /// The body (empty when an `onChunk` handler took it).
        var body: [UInt8]
        /// Whether `onChunk` ended the transfer before the body's end.
        var stoppedByHandler: Bool
    }

    /// Takes one block of the answer's body as it arrives, with the response's HTTP status; returns
    /// `false` to stop reading (the transfer then ends as a success). Called on the transferring thread.
    typealias ChunkHandler = (_ status: Int, _ chunk: UnsafeRawBufferPointer) -> Bool

    /// The most redirects followed.
    static let maxRedirects = 3

    /// GETs `url` into a new file at `path` (created with mode 0600; removed again when the transfer fails).
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - path: where the body goes; must not exist.
    ///   - maxBytes: the most body bytes accepted.
    ///   - deadline: when to give up (monotonic).
    ///   - cancelled: polled during the transfer (about once a second, and with every block read);
    ///     `true` ends it with ``TransferError/cancelled``.
    /// - Returns: the head of the answer and the body's size.
    /// - Throws: ``TransferError``: `tooLarge`, `timedOut`, `cancelled`, `httpStatus` (not 200),
    ///   `truncated`, `network`, `invalidURL` (also a redirect to another protocol), `file`.
    static func download(_ url: String, toFile path: String, maxBytes: Int, deadline: ContinuousClock.Instant,
                         cancelled: @escaping @Sendable () -> Bool) throws(TransferError) -> Head {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .file("cannot write into the private media directory") }
        let sink = Sink(limit: maxBytes, fd: fd, cancelled: cancelled)
        defer { close(fd) }
        do throws(TransferError) {
            _ = try perform(Plan(url: url, failOnError: true), sink: sink, deadline: deadline)
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
    /// - Throws: ``TransferError``: `tooLarge` (the answer passed `maxAnswerBytes`), `timedOut`,
    ///   `cancelled`, `httpStatus` (not 200), `network`, `invalidURL`, `file` (the file cannot be read).
    static func upload(_ url: String, part: FilePart, maxAnswerBytes: Int, deadline: ContinuousClock.Instant,
                       cancelled: @escaping @Sendable () -> Bool) throws(TransferError) -> [UInt8] {
        let sink = Sink(limit: maxAnswerBytes, fd: -1, cancelled: cancelled)
        _ = try perform(Plan(url: url, method: .post, part: part, failOnError: true), sink: sink, deadline: deadline)
        return sink.memory
    }

    /// Sends `request` and reads the answer, whatever its status.
    ///
    /// Without `onChunk` the body is read into ``Response/body``. With it, each block goes to the
    /// handler as it arrives (nothing is kept), and the handler's `false` ends the transfer at once as
    /// a success (``Response/stoppedByHandler``): a stream whose end the reader recognised is not read
    /// further.
    /// - Parameters:
    ///   - request: method, URL, headers, body, answer limit and deadline.
    ///   - cancelled: polled during the transfer (about once a second, and with every block read);
    ///     `true` ends it with ``TransferError/cancelled``.
    ///   - onChunk: takes the body block by block, if given.
    /// - Returns: the status and the body.
    /// - Throws: ``TransferError``: `tooLarge` (`maxAnswerBytes`), `timedOut`, `cancelled`,
    ///   `truncated`, `invalidURL`, `network` (no complete answer, a header with a line break, or no
    ///   libcurl).
    static func request(_ request: Request, cancelled: @escaping @Sendable () -> Bool = { false },
                        onChunk: ChunkHandler? = nil) throws(TransferError) -> Response {
        // A header line is never a way to add another (a key read from a file with its newline, …).
        guard !request.headers.contains(where: { $0.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }) else {
            throw .network(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), reason: "a request header holds a line break")
        }
        let sink = Sink(limit: request.maxAnswerBytes, fd: -1, cancelled: cancelled, onChunk: onChunk)
        let plan = Plan(url: request.url, method: request.method, headers: request.headers,
                        body: request.method == .post ? request.body : nil, failOnError: false)
        let status = try perform(plan, sink: sink, deadline: request.deadline)
        return Response(status: status, body: sink.memory, stoppedByHandler: sink.stopped)
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

    /// The HTTP status of a status line as libcurl hands it to the header callback
    /// (`HTTP/1.1 200 OK\r\n`, `HTTP/2 404 \r\n`), or nil for any other header line.
    static func status(fromStatusLine line: String) -> Int? {
        guard line.hasPrefix("HTTP/") else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, fields[1].utf8.count == 3 else { return nil }
        return Int(fields[1])
    }

    /// What one transfer sends.
    private struct Plan {
        var url: String
        var method: Request.Method = .get
        var headers: [String] = []
        /// The in-memory body of a POST.
        var body: [UInt8]?
        /// The file of a multipart POST.
        var part: FilePart?
        /// Whether only a 200 answer is a success (a body is then read only from one).
        var failOnError: Bool
    }

    /// Where the callbacks put what they see; lives on the transferring thread only.
    private final class Sink {
        let limit: Int
        let fd: Int32
        let cancelled: @Sendable () -> Bool
        let onChunk: ChunkHandler?
        var memory: [UInt8] = []
        var received = 0
        var overLimit = false
        var writeFailed = false
        var wasCancelled = false
        var stopped = false
        /// The status of the latest status line (0 before one).
        var status = 0
        var contentType: String?
        var disposition: String?

        init(limit: Int, fd: Int32, cancelled: @escaping @Sendable () -> Bool, onChunk: ChunkHandler? = nil) {
            self.limit = limit
            self.fd = fd
            self.cancelled = cancelled
            self.onChunk = onChunk
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
            if let onChunk {
                guard onChunk(status, block) else {
                    stopped = true
                    return false
                }
                return true
            }
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
            if let status = CurlTransfer.status(fromStatusLine: text) {
                self.status = status
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

    /// Runs one transfer into `sink`.
    /// - Returns: the final HTTP status (200 when `plan.failOnError`).
    private static func perform(_ plan: Plan, sink: Sink, deadline: ContinuousClock.Instant) throws(TransferError) -> Int {
        let remaining = deadline - .now
        guard remaining > .zero else { throw .timedOut }
        guard !sink.cancelled() else { throw .cancelled }
        let curl: CurlLibrary
        switch CurlLibrary.shared {
        case .success(let library): curl = library
        case .failure(let error): throw error
        }
        guard let handle = curl.easyInit() else {
            throw .network(code: Int(CURLE_FAILED_INIT.rawValue), reason: "cannot start a transfer")
        }
        defer { curl.easyCleanup(handle) }
        let setopt = curl.easySetopt.address
        let getinfo = curl.easyGetinfo.address
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
        set(wecom_curl_setopt_string(setopt, handle, CURLOPT_URL, plan.url))
        set(wecom_curl_setopt_string(setopt, handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(wecom_curl_setopt_string(setopt, handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_FOLLOWLOCATION, 1))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_MAXREDIRS, maxRedirects))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_NOSIGNAL, 1))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_TIMEOUT_MS, milliseconds))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_FAILONERROR, plan.failOnError ? 1 : 0))
        set(wecom_curl_setopt_off(setopt, handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(sink.limit)))
        set(wecom_curl_setopt_string(setopt, handle, CURLOPT_USERAGENT, "wecom-fcgi"))
        set(wecom_curl_setopt_data_callback(setopt, handle, CURLOPT_WRITEFUNCTION, write))
        set(wecom_curl_setopt_pointer(setopt, handle, CURLOPT_WRITEDATA, context))
        set(wecom_curl_setopt_data_callback(setopt, handle, CURLOPT_HEADERFUNCTION, header))
        set(wecom_curl_setopt_pointer(setopt, handle, CURLOPT_HEADERDATA, context))
        set(wecom_curl_setopt_long(setopt, handle, CURLOPT_NOPROGRESS, 0))
        set(wecom_curl_setopt_xferinfo_callback(setopt, handle, progress))
        set(wecom_curl_setopt_pointer(setopt, handle, CURLOPT_XFERINFODATA, context))
        var mime: OpaquePointer?
        var headers: UnsafeMutablePointer<curl_slist>?
        defer {
            curl.mimeFree(mime)
            curl.slistFreeAll(headers)
        }
        for line in plan.headers { headers = curl.slistAppend(headers, line) }
        if plan.method == .post {
            // No `Expect: 100-continue` round trip before the body.
            headers = curl.slistAppend(headers, "Expect:")
        }
        if let part = plan.part {
            mime = curl.mimeInit(handle)
            let field = curl.mimeAddPart(mime)
            set(curl.mimeName(field, part.field))
            set(curl.mimeFileData(field, part.path))
            set(curl.mimeFileName(field, part.fileName))
            set(curl.mimeType(field, part.contentType))
            // WeCom's documented form adds `filelength`, which libcurl's own Content-Disposition has no
            // parameter for; this header replaces it (the file name is already plain: letters, digits, `._-`).
            let disposition = "Content-Disposition: form-data; name=\"\(part.field)\"; filename=\"\(part.fileName)\"; filelength=\(part.fileLength)"
            set(curl.mimeHeaders(field, curl.slistAppend(nil, disposition), 1))
            set(wecom_curl_setopt_pointer(setopt, handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime)))
        } else if let body = plan.body {
            // The size first: COPYPOSTFIELDS then copies exactly that many bytes (a NUL is data).
            set(wecom_curl_setopt_off(setopt, handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            let terminated = body + [0]  // never an empty buffer, whose address may be nil
            terminated.withUnsafeBytes { bytes in
                set(wecom_curl_setopt_pointer(setopt, handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)))
            }
        }
        if let headers { set(wecom_curl_setopt_pointer(setopt, handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))) }
        guard !failed else { throw .network(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), reason: "libcurl refused an option") }
        let code = curl.easyPerform(handle)
        var status = 0
        _ = wecom_curl_getinfo_long(getinfo, handle, CURLINFO_RESPONSE_CODE, &status)
        if sink.wasCancelled { throw .cancelled }
        if sink.overLimit { throw .tooLarge(limit: sink.limit) }
        if sink.writeFailed { throw .file("cannot write into the private media directory") }
        if sink.stopped { return status }
        switch code {
        case CURLE_OK:
            guard !plan.failOnError || status == 200 else { throw .httpStatus(status) }
            return status
        case CURLE_OPERATION_TIMEDOUT: throw .timedOut
        case CURLE_FILESIZE_EXCEEDED: throw .tooLarge(limit: sink.limit)
        case CURLE_ABORTED_BY_CALLBACK: throw .cancelled
        case CURLE_HTTP_RETURNED_ERROR: throw .httpStatus(status)
        case CURLE_PARTIAL_FILE:
            var expected: curl_off_t = -1
            _ = wecom_curl_getinfo_off(getinfo, handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected)
            throw .truncated(expected: Int(expected), received: sink.received)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: throw .invalidURL
        case CURLE_READ_ERROR: throw .file("cannot read the reply's File")
        case CURLE_COULDNT_CONNECT:
            var osErrno = 0
            _ = wecom_curl_getinfo_long(getinfo, handle, CURLINFO_OS_ERRNO, &osErrno)
            throw .network(code: Int(code.rawValue), reason: connectReason(errno: Int32(truncatingIfNeeded: osErrno)))
        default:
            throw .network(code: Int(code.rawValue), reason: reason(code, strerror: curl.easyStrerror))
        }
    }

    /// Why a connection could not be made, from the socket's `errno`.
    static func connectReason(errno: Int32) -> String {
        switch errno {
        case ECONNREFUSED: return "connection refused"
        case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
        default: return "cannot connect to host"
        }
    }

    /// A fixed description of a libcurl error (never a URL: `curl_easy_strerror` names the code only);
    /// `CURLE_COULDNT_CONNECT` is described from the socket's errno by ``connectReason(errno:)``.
    static func reason(_ code: CURLcode, strerror: CurlLibrary.EasyStrerror) -> String {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST: return "cannot find host"
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR: return "connection lost"
        case CURLE_GOT_NOTHING: return "empty response"
        case CURLE_WEIRD_SERVER_REPLY: return "bad server response"
        case CURLE_TOO_MANY_REDIRECTS: return "more than \(maxRedirects) redirects"
        case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed"
        case CURLE_PEER_FAILED_VERIFICATION: return "untrusted server certificate"
        default: return "libcurl error \(code.rawValue): \(strerror(code).map { String(cString: $0) } ?? "unknown")"
        }
    }
}
