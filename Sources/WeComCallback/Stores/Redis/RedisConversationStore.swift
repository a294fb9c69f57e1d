import Foundation
import Platform

/// The ``ConversationStore`` of several hosts sharing one Redis (`[cluster]`): the `llm` action's per-user
/// memory, seen by every host.
///
/// One value per (app or bot, user): `<prefix>conversation:<SHA-256 of "app NUL user", hex>`, with a `PX` of the
/// route's `history_ttl_s`, refreshed on every exchange. The value is `v1:` and the JSON list of exchanges
/// (`[{"user":…,"assistant":…}]`) sealed with the app's (or bot's) own WXBizMsgCrypt, like
/// ``RedisDeliveryStore``'s outcomes: no message content lies in Redis in plain text.
///
/// An app whose cipher is unknown, a value that cannot be opened, or Redis being down: the in-process
/// ``InMemoryConversationStore`` answers instead (it also keeps a copy of every exchange, so a host that loses
/// Redis keeps its users' recent history).
public final class RedisConversationStore: ConversationStore {
    /// The shared Redis.
    public let cluster: RedisCluster
    /// The fallback and the copy.
    public let local: InMemoryConversationStore
    private let crypts = Locked<[String: WXBizMsgCrypt]>([:])

    /// - Parameters:
    ///   - cluster: the shared Redis.
    ///   - local: the fallback store.
    public init(cluster: RedisCluster, local: InMemoryConversationStore = InMemoryConversationStore()) {
        self.cluster = cluster
        self.local = local
    }

    /// Registers the cipher of an app or bot: its conversations are sealed with it.
    public func useCrypt(_ crypt: WXBizMsgCrypt, forApp app: String) {
        crypts.withLock { $0[app] = crypt }
    }

    public func history(for key: ConversationKey) throws(ConversationStoreError) -> [ChatExchange] {
        guard let crypt = crypts.withLock({ $0[key.app] }) else { return local.history(for: key) }
        let name = redisKey(key)
        guard let reply = cluster.run("get", store: "conversation", { client throws(RedisError) in
            try client.command(["GET", name])
        }) else { return local.history(for: key) }
        guard let value = reply.text else { return [] }
        return Self.open(value, with: crypt) ?? local.history(for: key)
    }

    public func append(_ exchange: ChatExchange, to key: ConversationKey, keeping turns: Int, ttl: Duration)
        throws(ConversationStoreError) {
        local.append(exchange, to: key, keeping: turns, ttl: ttl)
        guard turns > 0, let crypt = crypts.withLock({ $0[key.app] }) else { return }
        let name = redisKey(key)
        _ = cluster.run("append", store: "conversation") { client throws(RedisError) in
            // Read, append, trim, write: one user's messages follow one another, so two hosts rarely
            // write one conversation at once (the later write then wins, losing at most one exchange).
            var exchanges = try client.command(["GET", name]).text.flatMap { Self.open($0, with: crypt) } ?? []
            exchanges.append(exchange)
            if exchanges.count > turns { exchanges.removeFirst(exchanges.count - turns) }
            guard let sealed = Self.seal(exchanges, with: crypt) else { return }
            _ = try client.command(["SET", name, sealed, "PX", String(max(1, ttl.inMilliseconds))])
        }
    }

    private func redisKey(_ key: ConversationKey) -> String {
        let digest = LibCrypto.sha256(Array((key.app + "\u{0}" + key.user).utf8)).map(Hex.lowercase) ?? key.app
        return cluster.key("conversation:" + digest)
    }

    /// `v1:` and the exchanges' JSON sealed with `crypt`; `nil` when encryption failed.
    static func seal(_ exchanges: [ChatExchange], with crypt: WXBizMsgCrypt) -> String? {
        let list = exchanges.map { ["user": $0.user, "assistant": $0.assistant] }
        guard let data = try? JSONSerialization.data(withJSONObject: list, options: [.sortedKeys]),
              let sealed = try? crypt.encrypt(Array(data)) else { return nil }
        return "v1:" + sealed
    }

    /// The exchanges of a sealed value; `nil` when it cannot be opened (another key, a corrupt value).
    static func open(_ value: String, with crypt: WXBizMsgCrypt) -> [ChatExchange]? {
        guard value.hasPrefix("v1:"), let frame = try? crypt.decrypt(String(value.dropFirst(3))),
              frame.receiveID == crypt.receiveID,
              let list = (try? JSONSerialization.jsonObject(with: Data(frame.message))) as? [[String: String]] else { return nil }
        var exchanges: [ChatExchange] = []
        for item in list {
            guard let user = item["user"], let assistant = item["assistant"] else { return nil }
            exchanges.append(ChatExchange(user: user, assistant: assistant))
        }
        return exchanges
    }
}
