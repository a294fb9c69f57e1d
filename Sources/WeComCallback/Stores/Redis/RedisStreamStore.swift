import Foundation
import Platform

/// The ``StreamStore`` of several hosts sharing one Redis (`[cluster]`): an AI-bot stream started on one
/// host is refreshed through any host (issue 13).
///
/// The host that runs the program (the one that opened the stream) is its only writer: every ``append(_:to:)``,
/// ``replaceContent(_:of:)`` and ``finish(_:images:card:now:)`` changes this host's copy (an
/// ``InMemoryStreamStore``) and then writes the whole stream to Redis. A ``read(_:now:)`` on any host GETs it.
///
/// Keys and values:
/// - `<prefix>stream:<stream id>`: the stream (id, content, finish, images, card, owner, response_url) as JSON,
///   with a `PX` of what is left of the stream's lifetime (the owner stops writing once it has expired, and a
///   write after Redis was down brings the whole stream back, since this host's copy is complete).
/// - `<prefix>stream-answer:<SHA-256 of the delivery key, hex>`: what the message's first arrival answered
///   (`{"stream":id}`, `{"reply":…}` or `{"none":true}`), so a retried msgid gets the same stream on any host;
///   `PX` of the lifetime.
///
/// Both values are `v1:<bot name>:<JSON sealed with the bot's own WXBizMsgCrypt>` (registered with
/// ``useCrypt(_:forBot:)``): the bot name in clear says which cipher opens the value (the store's methods
/// take a stream id, not a bot); no message content lies in Redis in plain text. A bot whose cipher is
/// unknown, a value that cannot be opened, or Redis being down: this host's ``local`` copy answers (it has
/// every stream this host writes and every answer this host gave).
public final class RedisStreamStore: StreamStore {
    /// The shared Redis.
    public let cluster: RedisCluster
    /// The fallback and this host's copy.
    public let local: InMemoryStreamStore
    private let crypts = Locked<[String: WXBizMsgCrypt]>([:])
    /// The streams this host opened: their bot and when they expire (for the `PX` of later writes).
    private let owned = Locked<[String: Owned]>([:])

    struct Owned: Sendable {
        var bot: String
        var expires: ContinuousClock.Instant
    }

    /// - Parameters:
    ///   - cluster: the shared Redis.
    ///   - local: the fallback store and copy.
    public init(cluster: RedisCluster, local: InMemoryStreamStore = InMemoryStreamStore()) {
        self.cluster = cluster
        self.local = local
    }

    /// Registers a bot's cipher: its streams and answers are sealed with it.
    /// - Parameters:
    ///   - crypt: the bot's WXBizMsgCrypt (receiveid "").
    ///   - bot: the bot's `name` (the app part of its delivery keys).
    public func useCrypt(_ crypt: WXBizMsgCrypt, forBot bot: String) {
        crypts.withLock { $0[bot] = crypt }
    }

    public func open(_ stream: BotStream, forMessage key: DeliveryKey, now: ContinuousClock.Instant, lifetime: Duration) {
        local.open(stream, forMessage: key, now: now, lifetime: lifetime)
        let bot = Self.bot(of: key)
        owned.withLock { owned in
            owned = owned.filter { $0.value.expires > now }
            owned[stream.id] = Owned(bot: bot, expires: now + lifetime)
        }
        write(stream, bot: bot, ttl: lifetime)
        writeAnswer(.stream(stream.id), key: key, ttl: lifetime)
    }

    public func remember(_ answer: BotAnswer, forMessage key: DeliveryKey, now: ContinuousClock.Instant, lifetime: Duration) {
        local.remember(answer, forMessage: key, now: now, lifetime: lifetime)
        writeAnswer(answer, key: key, ttl: lifetime)
    }

    public func answer(forMessage key: DeliveryKey, now: ContinuousClock.Instant) -> BotAnswer? {
        let name = answerKey(key)
        if let reply = cluster.run("get", store: "stream", { client throws(RedisError) in try client.command(["GET", name]) }),
           let value = reply.text, let answer = open(value).flatMap(Self.decodeAnswer) {
            return answer
        }
        return local.answer(forMessage: key, now: now)
    }

    public func append(_ bytes: [UInt8], to id: String) -> Bool {
        guard local.append(bytes, to: id) else { return false }
        publish(id, now: .now)
        return true
    }

    public func replaceContent(_ content: [UInt8], of id: String) -> Bool {
        guard local.replaceContent(content, of: id) else { return false }
        publish(id, now: .now)
        return true
    }

    public func finish(_ id: String, images: [BotImage], card: JSONValue?, now: ContinuousClock.Instant) -> BotStream? {
        guard let stream = local.finish(id, images: images, card: card, now: now) else { return nil }
        publish(id, now: now)
        return stream
    }

    public func read(_ id: String, now: ContinuousClock.Instant) -> BotStream? {
        let name = streamKey(id)
        if let reply = cluster.run("get", store: "stream", { client throws(RedisError) in try client.command(["GET", name]) }),
           let value = reply.text, let stream = open(value).flatMap(Self.decodeStream), stream.id == id {
            return stream
        }
        return local.read(id, now: now)
    }

    /// The unfinished streams this host writes.
    public var openCount: Int { local.openCount }

    // MARK: - Redis

    /// Writes this host's copy of a stream it owns to Redis, with the `PX` left.
    private func publish(_ id: String, now: ContinuousClock.Instant) {
        guard let owner = owned.withLock({ $0[id] }), owner.expires > now,
              let stream = local.read(id, now: now) else { return }
        write(stream, bot: owner.bot, ttl: owner.expires - now)
    }

    private func write(_ stream: BotStream, bot: String, ttl: Duration) {
        guard let crypt = crypts.withLock({ $0[bot] }), let json = Self.encode(stream),
              let value = Self.seal(json, bot: bot, with: crypt) else { return }
        let command = ["SET", streamKey(stream.id), value, "PX", String(max(1, ttl.inMilliseconds))]
        _ = cluster.run("write", store: "stream") { client throws(RedisError) in try client.command(command) }
    }

    private func writeAnswer(_ answer: BotAnswer, key: DeliveryKey, ttl: Duration) {
        let bot = Self.bot(of: key)
        guard let crypt = crypts.withLock({ $0[bot] }), let json = Self.encode(answer),
              let value = Self.seal(json, bot: bot, with: crypt) else { return }
        let command = ["SET", answerKey(key), value, "PX", String(max(1, ttl.inMilliseconds))]
        _ = cluster.run("remember", store: "stream") { client throws(RedisError) in try client.command(command) }
    }

    private func streamKey(_ id: String) -> String { cluster.key("stream:" + id) }

    private func answerKey(_ key: DeliveryKey) -> String {
        let digest = LibCrypto.sha256(Array(key.rawValue.utf8)).map(Hex.lowercase) ?? key.rawValue
        return cluster.key("stream-answer:" + digest)
    }

    /// The bot of a delivery key: the part before NUL.
    static func bot(of key: DeliveryKey) -> String {
        String(key.rawValue.prefix { $0 != "\u{0}" })
    }

    // MARK: - Sealing

    /// `v1:<bot>:` and `json` sealed with `crypt`; `nil` when encryption failed.
    static func seal(_ json: Data, bot: String, with crypt: WXBizMsgCrypt) -> String? {
        guard let sealed = try? crypt.encrypt(Array(json)) else { return nil }
        return "v1:" + bot + ":" + sealed
    }

    /// The JSON of a sealed value, opened with its bot's cipher; `nil` when the bot is unknown here or the
    /// value cannot be opened.
    func open(_ value: String) -> Data? {
        guard value.hasPrefix("v1:"), let colon = value.lastIndex(of: ":") else { return nil }
        let bot = String(value[value.index(value.startIndex, offsetBy: 3)..<colon])
        guard let crypt = crypts.withLock({ $0[bot] }),
              let frame = try? crypt.decrypt(String(value[value.index(after: colon)...])),
              frame.receiveID == crypt.receiveID else { return nil }
        return Data(frame.message)
    }

    struct StoredImage: Codable {
        var base64: String
        var md5: String
    }

    struct StoredStream: Codable {
        var id: String
        var content: String
        var finish: Bool
        var images: [StoredImage]
        var card: JSONValue?
        var owner: String
        var responseURL: String?

        enum CodingKeys: String, CodingKey {
            case id, content, finish, images, card, owner
            case responseURL = "response_url"
        }
    }

    struct StoredAnswer: Codable {
        var stream: String?
        var reply: JSONValue?
        var none: Bool?
    }

    /// A stream as JSON: the content as base64 (the bytes as written, an incomplete character included).
    static func encode(_ stream: BotStream) -> Data? {
        let stored = StoredStream(id: stream.id, content: Data(stream.content).base64EncodedString(), finish: stream.finish,
                                  images: stream.images.map { StoredImage(base64: $0.base64, md5: $0.md5) },
                                  card: stream.card, owner: stream.owner, responseURL: stream.responseURL)
        return try? JSONEncoder().encode(stored)
    }

    static func decodeStream(_ json: Data) -> BotStream? {
        guard let stored = try? JSONDecoder().decode(StoredStream.self, from: json),
              let content = Data(base64Encoded: stored.content) else { return nil }
        var stream = BotStream(id: stored.id, owner: stored.owner, responseURL: stored.responseURL)
        stream.append(Array(content))
        stream.finish = stored.finish
        stream.images = Array(stored.images.prefix(BotStream.maxImages)).map { BotImage(base64: $0.base64, md5: $0.md5) }
        stream.card = stored.card
        return stream
    }

    static func encode(_ answer: BotAnswer) -> Data? {
        let stored: StoredAnswer
        switch answer {
        case .stream(let id): stored = StoredAnswer(stream: id)
        case .reply(let reply): stored = StoredAnswer(reply: reply)
        case .none: stored = StoredAnswer(none: true)
        }
        return try? JSONEncoder().encode(stored)
    }

    static func decodeAnswer(_ json: Data) -> BotAnswer? {
        guard let stored = try? JSONDecoder().decode(StoredAnswer.self, from: json) else { return nil }
        if let id = stored.stream { return .stream(id) }
        if let reply = stored.reply { return .reply(reply) }
        if stored.none == true { return BotAnswer.none }
        return nil
    }
}
