/// Why a media download, decryption or upload failed (issue "Media for handlers"). The text never
/// contains an access token, a secret or the file's content.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `Content-Length` header, or the bytes read, passed `[server] max_media_bytes` (`limit`, bytes).
    case tooLarge(limit: Int)
    /// The route's `timeout_ms` deadline passed during the download or upload, or while waiting for
    /// the access token.
    case timedOut
    /// The server began shutting down during the transfer (it was ended so that the run's files are removed).
    case cancelled
    /// The `media/upload` answer passed `limit` bytes (it is about 100).
    case answerTooLarge(limit: Int)
    /// No complete HTTP answer: connection refused or lost … (a fixed description, never the URL).
    case network(String)
    /// An HTTP status other than 200.
    case httpStatus(Int)
    /// Fewer bytes arrived than `Content-Length` announced.
    case truncated(expected: Int, received: Int)
    /// The WeCom API refused (`errcode`, e.g. 40007 invalid media_id), or no access token could be had.
    case api(WeComAPIError)
    /// An AI-bot file that does not decrypt (AES-256-CBC with the bot's key, PKCS#7 to 32 bytes).
    case decryptFailed(String)
    /// A local file problem: the private directory or the file cannot be written or read.
    case file(String)
    /// A reply's `File` is not a regular, non-empty file inside the program's `WECOM_OUTPUT_DIR`.
    case outsideOutputDirectory(String)
    /// The media URL is not an `http`/`https` URL.
    case invalidURL

    /// One line for the log.
    public var description: String {
        switch self {
        case .tooLarge(let limit): return "media larger than max_media_bytes (\(limit) bytes)"
        case .timedOut: return "media transfer timed out"
        case .cancelled: return "media transfer cancelled: the server is shutting down"
        case .answerTooLarge(let limit): return "media/upload answer too large (over \(limit) bytes)"
        case .network(let reason): return "media transfer failed: \(reason)"
        case .httpStatus(let status): return "media transfer: HTTP status \(status)"
        case .truncated(let expected, let received): return "media truncated: \(received) of \(expected) bytes"
        case .api(let error): return "WeCom media API: \(error)"
        case .decryptFailed(let why): return "media does not decrypt: \(why)"
        case .file(let why): return "media file: \(why)"
        case .outsideOutputDirectory(let why): return "reply File refused: \(why)"
        case .invalidURL: return "media URL is not an http(s) URL"
        }
    }
}

extension MediaError {
    /// The media error a failed ``CurlTransfer`` download or upload stands for (one case each; a
    /// `network` error keeps its fixed reason, not its libcurl code).
    /// - Parameter transfer: the transfer's error.
    init(_ transfer: TransferError) {
        switch transfer {
        case .tooLarge(let limit): self = .tooLarge(limit: limit)
        case .timedOut: self = .timedOut
        case .cancelled: self = .cancelled
        case .httpStatus(let status): self = .httpStatus(status)
        case .truncated(let expected, let received): self = .truncated(expected: expected, received: received)
        case .invalidURL: self = .invalidURL
        case .file(let why): self = .file(why)
        case .network(_, let reason): self = .network(reason)
        }
    }
}
