import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension WeComAPIClient {
    /// The longest JSON answer of `media/upload` read (it is about 100 bytes).
    static let maxUploadAnswerBytes = 65536

    /// Downloads temporary media (`GET {apiBase}/cgi-bin/media/get?access_token=…&media_id=…`).
    ///
    /// WeCom answers the bytes with their `Content-Type` and a `Content-Disposition` file name, or, for
    /// an error, a JSON object with a non-zero `errcode` (40007 invalid media_id, 42001 token expired …).
    /// - Parameters:
    ///   - mediaID: the message's `MediaId`.
    ///   - accessToken: a token of the app.
    ///   - maxBytes: `[server] max_media_bytes`: a larger `Content-Length` or body is refused at once.
    ///   - deadline: the route's `timeout_ms` deadline (monotonic).
    /// - Returns: the bytes, `Content-Type` and file name.
    /// - Throws: ``MediaError``: `.api(.api(errcode:errmsg:))` for an error answer, `tooLarge`,
    ///   `timedOut`, `truncated`, `httpStatus`, `network`. Never with the token in its text.
    func downloadMedia(mediaID: String, accessToken: String, maxBytes: Int,
                       deadline: ContinuousClock.Instant) throws(MediaError) -> LimitedDownload.Answer {
        let url: URL
        do {
            url = try makeURL("/cgi-bin/media/get", query: [("access_token", accessToken), ("media_id", mediaID)])
        } catch {
            throw .api(error)
        }
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        let answer = try LimitedDownload.run(request, maxBytes: maxBytes, deadline: deadline)
        let type = answer.contentType?.lowercased() ?? ""
        if type.contains("json") || type.hasPrefix("text/plain") || (answer.contentType == nil && answer.bytes.first == UInt8(ascii: "{")) {
            struct ErrorAnswer: Decodable, APIAnswer {
                var errcode: Int?
                var errmsg: String?
            }
            let parsed: ErrorAnswer
            do {
                parsed = try decode(Data(answer.bytes))
            } catch {
                throw .api(error)
            }
            do {
                try parsed.check()
            } catch {
                throw .api(error)
            }
        }
        return answer
    }

    /// Uploads temporary media (`POST {apiBase}/cgi-bin/media/upload?access_token=…&type=…`, the file
    /// as the multipart form field `media`).
    /// - Parameters:
    ///   - type: `image`, `voice`, `video` or `file`.
    ///   - form: the body (``MultipartFormData``).
    ///   - accessToken: a token of the app.
    ///   - deadline: the route's `timeout_ms` deadline (monotonic).
    /// - Returns: the `media_id` (valid three days).
    /// - Throws: ``MediaError``: `.api` for a non-zero `errcode` or an answer without `media_id`,
    ///   `timedOut`, `httpStatus`, `network`.
    func uploadMedia(type: String, form: MultipartFormData, accessToken: String,
                     deadline: ContinuousClock.Instant) throws(MediaError) -> String {
        let url: URL
        do {
            url = try makeURL("/cgi-bin/media/upload", query: [("access_token", accessToken), ("type", type)])
        } catch {
            throw .api(error)
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue(form.contentType, forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(form.body)
        let answer = try LimitedDownload.run(request, maxBytes: Self.maxUploadAnswerBytes, deadline: deadline)
        struct UploadAnswer: Decodable, APIAnswer {
            var errcode: Int?
            var errmsg: String?
            var media_id: String?
        }
        let parsed: UploadAnswer
        do {
            parsed = try decode(Data(answer.bytes))
            try parsed.check()
        } catch {
            throw .api(error)
        }
        guard let mediaID = parsed.media_id, !mediaID.isEmpty else { throw .api(.invalidResponse("no media_id")) }
        return mediaID
    }
}
