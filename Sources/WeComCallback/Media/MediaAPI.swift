import Foundation

/// An app's access to WeCom's temporary media (`media/get`, `media/upload`) for its `exec` routes,
/// through the same access token as active send (``AccessTokenCache`` over the process's
/// ``TokenStore``): present when the app has a `corp_secret`.
///
/// A refused token (40014, 42001, 42009) is dropped and the call made once more with a fresh one;
/// every other failure is final (the route's `on_error`). Nothing here logs: the caller writes the
/// one line, from ``MediaError/description``, which never holds the token or the secret.
struct MediaAPI: Sendable {
    /// The app's access token.
    let tokens: AccessTokenCache
    /// The API client (the one `tokens` uses).
    let client: WeComAPIClient
    /// `[server] max_media_bytes`.
    let maxBytes: Int

    /// Downloads a message's media into `directory`.
    /// - Parameters:
    ///   - mediaID: the message's `MediaId`.
    ///   - deadline: the route's `timeout_ms` deadline.
    ///   - directory: the run's private media directory.
    /// - Returns: the stored file.
    /// - Throws: ``MediaError``.
    func download(mediaID: String, deadline: ContinuousClock.Instant, into directory: PrivateDirectory) throws(MediaError) -> MediaFile {
        let answer = try withToken { token throws(MediaError) in
            try client.downloadMedia(mediaID: mediaID, accessToken: token, maxBytes: maxBytes, deadline: deadline)
        }
        return try MediaFile.store(answer.bytes, serverType: answer.contentType, fileName: answer.fileName,
                                   fallbackName: "media", in: directory)
    }

    /// Uploads a program's file as temporary media.
    /// - Parameters:
    ///   - path: the confined file (``OutputFile/resolve(_:in:maxBytes:)``).
    ///   - type: `image`, `voice`, `video` or `file`.
    ///   - deadline: the route's `timeout_ms` deadline.
    /// - Returns: the `media_id`.
    /// - Throws: ``MediaError``.
    func upload(path: String, type: String, deadline: ContinuousClock.Instant) throws(MediaError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw .file("cannot read the reply's File") }
        let bytes = [UInt8](data)
        guard bytes.count <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        let contentType = MediaFile.sniffedType(bytes) ?? "application/octet-stream"
        let name = (path as NSString).lastPathComponent
        guard let form = MultipartFormData.singleFile(name: "media", fileName: name, contentType: contentType, bytes: bytes) else {
            throw .file("no random bytes for the multipart boundary")
        }
        return try withToken { token throws(MediaError) in
            try client.uploadMedia(type: type, form: form, accessToken: token, deadline: deadline)
        }
    }

    /// Runs `call` with the app's token, once more with a fresh one when WeCom refused it.
    private func withToken<Result>(_ call: (String) throws(MediaError) -> Result) throws(MediaError) -> Result {
        var refreshed = false
        while true {
            let token: String
            do {
                token = try tokens.token()
            } catch {
                throw .api(error)
            }
            do {
                return try call(token)
            } catch {
                guard case .api(let apiError) = error, apiError.isTokenRejected, !refreshed else { throw error }
                refreshed = true
                do {
                    try tokens.invalidate(token)
                } catch {
                    throw .api(error)
                }
            }
        }
    }
}
