import Foundation

extension WeComAPIClient {
    /// The longest JSON answer of `media/upload` read (it is about 100 bytes).
    static let maxUploadAnswerBytes = 65536

    /// Downloads temporary media (`GET {apiBase}/cgi-bin/media/get?access_token=…&media_id=…`) into a
    /// new file, over libcurl (``CurlTransfer``).
    ///
    /// WeCom answers the bytes with their `Content-Type` and a `Content-Disposition` file name, or, for
    /// an error, a JSON object with a non-zero `errcode` (40007 invalid media_id, 42001 token expired …).
    /// - Parameters:
    ///   - mediaID: the message's `MediaId`.
    ///   - accessToken: a token of the app.
    ///   - maxBytes: `[server] max_media_bytes`: a larger `Content-Length` or body is refused at once.
    ///   - deadline: the route's `timeout_ms` deadline (monotonic).
    ///   - path: where the body goes (a new file; it is removed again when this throws).
    ///   - cancelled: `true` ends the transfer (server shutdown).
    /// - Returns: the answer's `Content-Type`, file name and size.
    /// - Throws: ``MediaError``: `.api(.api(errcode:errmsg:))` for an error answer, `tooLarge`,
    ///   `timedOut`, `cancelled`, `truncated`, `httpStatus`, `network`, `file`. Never with the token in its text.
    func downloadMedia(mediaID: String, accessToken: String, maxBytes: Int, deadline: ContinuousClock.Instant,
                       toFile path: String, cancelled: @escaping @Sendable () -> Bool) throws(MediaError) -> CurlTransfer.Head {
        let url: URL
        do {
            url = try makeURL("/cgi-bin/media/get", query: [("access_token", accessToken), ("media_id", mediaID)])
        } catch {
            throw .api(error)
        }
        let head: CurlTransfer.Head
        do {
            head = try CurlTransfer.download(url.absoluteString, toFile: path, maxBytes: maxBytes, deadline: deadline, cancelled: cancelled)
        } catch {
            throw MediaError(error)
        }
        let type = head.contentType?.lowercased() ?? ""
        let looksLikeJSON = type.contains("json") || type.hasPrefix("text/plain")
            || (head.contentType == nil && FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 1) } == Data("{".utf8))
        guard looksLikeJSON else { return head }
        struct ErrorAnswer: Decodable, APIAnswer {
            var errcode: Int?
            var errmsg: String?
        }
        do {
            let parsed: ErrorAnswer = try decode(FileManager.default.contents(atPath: path) ?? Data())
            try parsed.check()
        } catch {
            unlink(path)
            throw .api(error)
        }
        return head
    }

    /// Uploads temporary media (`POST {apiBase}/cgi-bin/media/upload?access_token=…&type=…`, the file
    /// as the multipart form field `media`, streamed from disk by libcurl: ``CurlTransfer``).
    /// - Parameters:
    ///   - type: `image`, `voice`, `video` or `file`.
    ///   - part: the file part (field `media`, path, file name, content type).
    ///   - accessToken: a token of the app.
    ///   - deadline: the route's `timeout_ms` deadline (monotonic).
    ///   - cancelled: `true` ends the transfer (server shutdown).
    /// - Returns: the `media_id` (valid three days).
    /// - Throws: ``MediaError``: `.api` for a non-zero `errcode` or an answer without `media_id`,
    ///   `answerTooLarge` (over ``maxUploadAnswerBytes``), `timedOut`, `cancelled`, `httpStatus`, `network`, `file`.
    func uploadMedia(type: String, part: CurlTransfer.FilePart, accessToken: String, deadline: ContinuousClock.Instant,
                     cancelled: @escaping @Sendable () -> Bool) throws(MediaError) -> String {
        let url: URL
        do {
            url = try makeURL("/cgi-bin/media/upload", query: [("access_token", accessToken), ("type", type)])
        } catch {
            throw .api(error)
        }
        let answer: [UInt8]
        do {
            answer = try CurlTransfer.upload(url.absoluteString, part: part, maxAnswerBytes: Self.maxUploadAnswerBytes,
                                             deadline: deadline, cancelled: cancelled)
        } catch {
            if case .tooLarge = error { throw .answerTooLarge(limit: Self.maxUploadAnswerBytes) }
            throw MediaError(error)
        }
        struct UploadAnswer: Decodable, APIAnswer {
            var errcode: Int?
            var errmsg: String?
            var media_id: String?
        }
        let parsed: UploadAnswer
        do {
            parsed = try decode(Data(answer))
            try parsed.check()
        } catch {
            throw .api(error)
        }
        guard let mediaID = parsed.media_id, !mediaID.isEmpty else { throw .api(.invalidResponse("no media_id")) }
        return mediaID
    }
}
