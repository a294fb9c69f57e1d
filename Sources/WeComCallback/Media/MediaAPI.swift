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

    /// Downloads a message's media into `directory` (written there as it arrives, never held in memory).
    /// - Parameters:
    ///   - mediaID: the message's `MediaId`.
    ///   - deadline: the route's `timeout_ms` deadline (the token wait counts against it too).
    ///   - directory: the run's private media directory.
    ///   - cancelled: `true` ends the transfer (server shutdown: ``ProgramSupervisor/Slot/isCancelled``).
    /// - Returns: the stored file.
    /// - Throws: ``MediaError``.
    func download(mediaID: String, deadline: ContinuousClock.Instant, into directory: PrivateDirectory,
                  cancelled: @escaping @Sendable () -> Bool = { false }) throws(MediaError) -> MediaFile {
        let partial = directory.partialPath
        let head = try withToken(deadline: deadline) { token throws(MediaError) in
            try client.downloadMedia(mediaID: mediaID, accessToken: token, maxBytes: maxBytes, deadline: deadline,
                                     toFile: partial, cancelled: cancelled)
        }
        return try MediaFile.adopt(partial, size: head.size, serverType: head.contentType, fileName: head.fileName,
                                   fallbackName: "media", in: directory)
    }

    /// Uploads a program's file as temporary media; libcurl streams it from disk.
    ///
    /// The file is opened once (no symbolic link followed) and checked to be a regular file of at most
    /// ``maxBytes``; libcurl reads that same open file (`/dev/fd/N`), so a path swapped after the check
    /// is not what is sent.
    /// - Parameters:
    ///   - path: the confined file (``OutputFile/resolve(_:in:maxBytes:)``).
    ///   - type: `image`, `voice`, `video` or `file`.
    ///   - deadline: the route's `timeout_ms` deadline.
    ///   - cancelled: `true` ends the transfer (server shutdown).
    /// - Returns: the `media_id`.
    /// - Throws: ``MediaError``.
    func upload(path: String, type: String, deadline: ContinuousClock.Instant,
                cancelled: @escaping @Sendable () -> Bool = { false }) throws(MediaError) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .file("cannot read the reply's File") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else {
            throw .outsideOutputDirectory("not a regular file")
        }
        guard info.st_size <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        var head = [UInt8](repeating: 0, count: 16)
        let read = pread(fd, &head, head.count, 0)
        let contentType = MediaFile.sniffedType(Array(head.prefix(max(0, read)))) ?? "application/octet-stream"
        let name = (path as NSString).lastPathComponent
        let part = CurlTransfer.FilePart(field: "media", path: "/dev/fd/\(fd)",
                                         fileName: PrivateDirectory.safeFileName(name, fallback: "media" + MediaFile.fileExtension(for: contentType)),
                                         contentType: contentType, fileLength: Int(info.st_size))
        return try withToken(deadline: deadline) { token throws(MediaError) in
            try client.uploadMedia(type: type, part: part, accessToken: token, deadline: deadline, cancelled: cancelled)
        }
    }

    /// Runs `call` with the app's token, once more with a fresh one when WeCom refused it. The token
    /// wait (another caller's refresh, or this one's `gettoken`) ends at `deadline`.
    private func withToken<Result>(deadline: ContinuousClock.Instant,
                                   _ call: (String) throws(MediaError) -> Result) throws(MediaError) -> Result {
        var refreshed = false
        while true {
            let token: String
            do {
                token = try tokens.token(until: deadline)
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
