import Platform

/// One image of a stream's final reply (spec `wecom-aibot.md` §4): JPG or PNG bytes as base64 and
/// the MD5 of the bytes as 32 lowercase hex digits.
public struct BotImage: Sendable, Equatable {
    /// Standard base64 of the file.
    public var base64: String
    /// MD5 of the file bytes, lowercase hex.
    public var md5: String

    public init(base64: String, md5: String) {
        self.base64 = base64
        self.md5 = md5
    }

    /// `{"msgtype":"image","image":{"base64":…,"md5":…}}`.
    public var item: JSONValue {
        .object(["msgtype": .string("image"), "image": .object(["base64": .string(base64), "md5": .string(md5)])])
    }
}

/// The state of one stream reply (spec `wecom-aibot.md` §4): what every refresh answers from.
///
/// A value; a ``StreamStore`` keeps one per stream id until the six minutes after its message end.
public struct BotStream: Sendable, Equatable {
    /// The stream id sent in the first reply: 32 lowercase hex digits from the CSPRNG.
    public var id: String
    /// Everything written so far (UTF-8 expected; kept up to ``maxStoredBytes``).
    public var content: [UInt8]
    /// Whether the content is final (the next refresh answers `finish: true`).
    public var finish: Bool
    /// The final reply's images (≤ 10).
    public var images: [BotImage]
    /// A template card to send with the final reply (`stream_with_template_card`), from `output = "json"`.
    public var card: JSONValue?
    /// Who runs the program (`host:pid`), so another host knows whose stream it is.
    public var owner: String
    /// The message's `response_url`: where a result goes when the stream has expired.
    public var responseURL: String?

    /// The most content bytes a reply shows: 20480.
    public static let maxContentBytes = 20480
    /// The most content bytes kept (a little over the shown limit, to cut at a character boundary).
    public static let maxStoredBytes = maxContentBytes + 4
    /// The most images in the final reply.
    public static let maxImages = 10

    /// A new, empty, unfinished stream.
    /// - Parameters:
    ///   - id: the stream id.
    ///   - owner: `host:pid` of the process that feeds it.
    ///   - responseURL: the message's `response_url`.
    public init(id: String, owner: String = BotStream.localOwner, responseURL: String? = nil) {
        self.id = id
        content = []
        finish = false
        images = []
        card = nil
        self.owner = owner
        self.responseURL = responseURL
    }

    /// `hostname:pid` of this process.
    public static let localOwner: String = {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return "\(host):\(getpid())"
    }()

    /// A fresh, unguessable stream id: 16 bytes of OpenSSL's CSPRNG as 32 lowercase hex digits.
    /// - Returns: the id, or `nil` when no randomness is available.
    public static func newID() -> String? {
        LibCrypto.randomBytes(16).map(Hex.lowercase)
    }

    /// Appends output, keeping at most ``maxStoredBytes``.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        let room = Self.maxStoredBytes - content.count
        guard room > 0 else { return }
        content.append(contentsOf: bytes.prefix(room))
    }

    /// The content as shown: valid UTF-8 (invalid bytes replaced), cut at a character boundary to
    /// ``maxContentBytes``; an unfinished stream never shows a character whose bytes are not all there.
    public var shownContent: String {
        var bytes = content[...]
        if !finish {
            // Drop an incomplete trailing sequence: it may be completed by the next write.
            var start = bytes.endIndex
            var back = 0
            while start > bytes.startIndex, back < 4, bytes[start - 1] & 0xC0 == 0x80 { start -= 1; back += 1 }
            if start > bytes.startIndex {
                let lead = bytes[start - 1]
                let needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
                if needed > back { bytes = bytes[..<(start - 1)] }
            }
        }
        return XMLText.truncatedUTF8(String(decoding: bytes, as: UTF8.self), maxBytes: Self.maxContentBytes)
    }

    /// The reply to a refresh (or the first reply): `{"msgtype":"stream","stream":{…}}`, with the
    /// images in the final one, or `stream_with_template_card` when a card is set and the stream is finished.
    public var reply: JSONValue {
        var stream: [String: JSONValue] = ["id": .string(id), "finish": .bool(finish), "content": .string(shownContent)]
        if finish, !images.isEmpty { stream["msg_item"] = .array(images.prefix(Self.maxImages).map(\.item)) }
        if finish, let card {
            return .object(["msgtype": .string("stream_with_template_card"), "stream": .object(stream), "template_card": card])
        }
        return .object(["msgtype": .string("stream"), "stream": .object(stream)])
    }

    /// The first reply to the message (and to its retries): ``reply`` with `stream.feedback.id` = the
    /// stream id, so that the user's feedback on the answer comes back as a `feedback_event` naming it
    /// (spec `wecom-aibot.md` §4; refreshes do not repeat it).
    public var firstReply: JSONValue {
        guard case .object(var members) = reply, case .object(var stream)? = members["stream"] else { return reply }
        stream["feedback"] = .object(["id": .string(id)])
        members["stream"] = .object(stream)
        return .object(members)
    }

    /// A finished stream with this content (a text or echo answer, or an unknown id's empty answer).
    public static func finished(id: String, content: String) -> BotStream {
        var stream = BotStream(id: id)
        stream.append(content.utf8)
        stream.finish = true
        return stream
    }
}

/// What the first arrival of a message answered: what its retries answer too.
public enum BotAnswer: Sendable, Equatable {
    /// The stream with this id (its state as of the retry).
    case stream(String)
    /// This reply object (welcome text, card, card update).
    case reply(JSONValue)
    /// An empty body.
    case none
}
