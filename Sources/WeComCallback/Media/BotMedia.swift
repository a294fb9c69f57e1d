import Foundation

/// An AI bot's media for its `exec` routes with `media = "download"`: the image and file URLs of a
/// message (spec `wecom-aibot.md` §2: `image.url`, `file.url`, the images of `mixed.msg_item`, in
/// message order) downloaded, decrypted with the bot's key (``BotMediaCipher``) and stored in the
/// run's private media directory before the program starts.
struct BotMedia: Sendable {
    /// The bot's 32-byte AES key (from its EncodingAESKey).
    let key: [UInt8]
    /// `[server] max_media_bytes` (the encrypted size counts).
    let maxBytes: Int

    /// A media URL of a message and what it is.
    struct Item: Sendable, Equatable {
        /// `image` or `file`.
        var kind: String
        /// The URL (valid five minutes after the message).
        var url: String
    }

    /// The media URLs of a message, in message order.
    /// - Parameter message: the decrypted message.
    static func items(in message: BotMessage) -> [Item] {
        switch message.msgType {
        case "image":
            return message.json.value(at: "image/url")?.stringValue.map { [Item(kind: "image", url: $0)] } ?? []
        case "file":
            return message.json.value(at: "file/url")?.stringValue.map { [Item(kind: "file", url: $0)] } ?? []
        case "mixed":
            guard case .array(let list)? = message.json.value(at: "mixed/msg_item") else { return [] }
            return list.compactMap { item in
                guard item["msgtype"]?.stringValue == "image", let url = item.value(at: "image/url")?.stringValue else { return nil }
                return Item(kind: "image", url: url)
            }
        default:
            return []
        }
    }

    /// Downloads, decrypts and stores every media URL of a message.
    /// - Parameters:
    ///   - message: the message.
    ///   - deadline: the route's `timeout_ms` deadline (all downloads share it).
    ///   - directory: the run's private media directory.
    ///   - cancelled: `true` ends the transfer (server shutdown: ``ProgramSupervisor/Slot/isCancelled``).
    /// - Returns: the files, in message order (empty when the message has none).
    /// - Throws: ``MediaError`` for the first item that fails (`invalidURL`, the download's errors,
    ///   `decryptFailed`).
    func download(for message: BotMessage, deadline: ContinuousClock.Instant, into directory: PrivateDirectory,
                  cancelled: @escaping @Sendable () -> Bool = { false }) throws(MediaError) -> [MediaFile] {
        var files: [MediaFile] = []
        for (n, item) in Self.items(in: message).enumerated() {
            guard let url = URL(string: item.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                throw .invalidURL
            }
            // Only the ciphertext and then the plaintext are held in memory, never the transfer's buffers.
            let partial = directory.partialPath
            do {
                _ = try CurlTransfer.download(url.absoluteString, toFile: partial, maxBytes: maxBytes, deadline: deadline, cancelled: cancelled)
            } catch {
                throw MediaError(error)
            }
            let cipher = FileManager.default.contents(atPath: partial).map { [UInt8]($0) }
            unlink(partial)
            guard let cipher else { throw .file("cannot read the downloaded media") }
            let plain = try BotMediaCipher.decrypt(cipher, key: key)
            // The served type describes the ciphertext; the plaintext's is sniffed (else octet-stream).
            files.append(try MediaFile.store(plain, serverType: nil, fileName: nil, fallbackName: "\(item.kind)-\(n + 1)", in: directory))
        }
        return files
    }

    /// The program's stdin: the decrypted message JSON with `media_files`
    /// (`[{"path","content_type","size"}]`, in message order) added at the top level.
    /// - Parameters:
    ///   - message: the message.
    ///   - files: the downloaded files.
    static func stdin(for message: BotMessage, files: [MediaFile]) -> [UInt8] {
        guard case .object(var members) = message.json else { return message.plaintext }
        members["media_files"] = .array(files.map { file in
            .object(["path": .string(file.path), "content_type": .string(file.contentType), "size": .int(Int64(file.size))])
        })
        return JSONValue.object(members).encoded()
    }
}
