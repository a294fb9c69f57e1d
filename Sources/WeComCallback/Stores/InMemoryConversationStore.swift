import Platform

/// The in-process ``ConversationStore``: a dictionary behind one ``Locked``, bounded in conversations
/// (the least recently used one is forgotten first) and in bytes per message.
public final class InMemoryConversationStore: ConversationStore {
    /// The default number of conversations kept (each at most `history_turns` exchanges of at most
    /// 2 × ``maxMessageBytes``).
    public static let defaultCapacity = 1000
    /// The most of one message (user text or answer) remembered, in UTF-8 bytes.
    public static let maxMessageBytes = 8192

    struct Conversation {
        var exchanges: [ChatExchange]
        var expires: ContinuousClock.Instant
        var lastUse: ContinuousClock.Instant
    }

    private let conversations = Locked<[ConversationKey: Conversation]>([:])
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameters:
    ///   - capacity: the most conversations kept (at least 1).
    ///   - now: the monotonic clock (tests pass a fake one).
    public init(capacity: Int = defaultCapacity, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// How many conversations are held now (expired ones included until they are swept).
    public var count: Int { conversations.withLock { $0.count } }

    public func history(for key: ConversationKey) -> [ChatExchange] {
        let now = now()
        return conversations.withLock { all in
            guard let conversation = all[key] else { return [] }
            guard conversation.expires > now else {
                all[key] = nil
                return []
            }
            all[key]?.lastUse = now
            return conversation.exchanges
        }
    }

    public func append(_ exchange: ChatExchange, to key: ConversationKey, keeping turns: Int, ttl: Duration) {
        let now = now()
        let kept = ChatExchange(user: XMLText.truncatedUTF8(exchange.user, maxBytes: Self.maxMessageBytes),
                                assistant: XMLText.truncatedUTF8(exchange.assistant, maxBytes: Self.maxMessageBytes))
        conversations.withLock { all in
            var exchanges = all[key].flatMap { $0.expires > now ? $0.exchanges : nil } ?? []
            exchanges.append(kept)
            exchanges = Array(exchanges.suffix(max(1, turns)))
            all[key] = Conversation(exchanges: exchanges, expires: now + ttl, lastUse: now)
            guard all.count > capacity else { return }
            // Over capacity: sweep the expired ones, then forget the least recently used.
            all = all.filter { $0.value.expires > now }
            while all.count > capacity, let oldest = all.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
                all[oldest] = nil
            }
        }
    }
}
