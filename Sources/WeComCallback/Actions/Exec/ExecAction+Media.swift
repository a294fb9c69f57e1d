import Foundation

/// The media of the `exec` action (README "Media"): the message's `MediaId` fetched for the program
/// (`media = "download"`), and a reply object's `File` uploaded. ``perform(message:json:appName:metrics:slot:media:)``
/// calls these around the program.
extension ExecAction {
    /// Downloads the message's `MediaId` into a fresh private directory (stored in `directory`, for
    /// the caller to remove), or does nothing for a message without one.
    /// - Returns: the file, or `nil` when the message has no `MediaId`.
    /// - Throws: ``MediaError``; `api(.tokenUnavailable)` when the app has no `corp_secret`.
    static func fetchMedia(of message: InboundMessage, media: MediaAPI?, deadline: ContinuousClock.Instant,
                           cancelled: @escaping @Sendable () -> Bool = { false },
                           directory: inout PrivateDirectory?) throws(MediaError) -> MediaFile? {
        guard let mediaID = message.jsonObject()["MediaId"] as? String, !mediaID.isEmpty else { return nil }
        guard let media else { throw .api(.tokenUnavailable("the app has no corp_secret")) }
        guard let made = PrivateDirectory.make(prefix: "wecom-media") else { throw .file("cannot create a private directory") }
        directory = made
        return try media.download(mediaID: mediaID, deadline: deadline, into: made, cancelled: cancelled)
    }

    /// The program's stdin with the file: the message's JSON form plus `"MediaFile":{"Path","ContentType","Size"}`.
    static func stdin(for message: InboundMessage, with file: MediaFile) -> [UInt8] {
        var object = message.jsonObject()
        object["MediaFile"] = file.appJSON
        var out: [UInt8] = []
        JSONText.write(object, to: &out)
        return out
    }

    /// The reply types a `File` may stand for (temporary media types of `media/upload`).
    static let fileReplyTypes: Set<String> = ["image", "voice", "video", "file"]

    /// The reply object when stdout is a JSON object with a `File` key, else `nil`.
    static func fileReply(_ stdout: [UInt8]) -> [String: Any]? {
        guard let first = stdout.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d) }), first == UInt8(ascii: "{"),
              let object = (try? JSONSerialization.jsonObject(with: Data(stdout))) as? [String: Any], object["File"] != nil
        else { return nil }
        return object
    }

    /// Uploads a reply object's `File` and returns the object with `MediaId` instead (JSON bytes).
    /// - Throws: ``MediaError``: `outsideOutputDirectory` for a path that is not a file of the run's
    ///   output directory (or a type without media), `api` without `corp_secret`, and the upload's errors.
    static func uploadFile(of reply: [String: Any], outputDirectory: String, media: MediaAPI?,
                           deadline: ContinuousClock.Instant, cancelled: @escaping @Sendable () -> Bool = { false }) throws(MediaError) -> [UInt8] {
        guard let msgType = reply["MsgType"] as? String, fileReplyTypes.contains(msgType) else {
            throw .outsideOutputDirectory("File needs MsgType image, voice, video or file")
        }
        guard let path = reply["File"] as? String else { throw .outsideOutputDirectory("File must be a string") }
        guard let media else { throw .api(.tokenUnavailable("a File reply needs the app's corp_secret")) }
        let resolved = try OutputFile.resolve(path, in: outputDirectory, maxBytes: media.maxBytes)
        let mediaID = try media.upload(path: resolved.path, type: msgType, deadline: deadline, cancelled: cancelled)
        var object = reply
        object["File"] = nil
        object["MediaId"] = mediaID
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw .file("reply object not serialisable")
        }
        return [UInt8](data)
    }
}
