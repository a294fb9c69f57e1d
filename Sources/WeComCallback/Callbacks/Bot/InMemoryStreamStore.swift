import Platform

/// The default ``StreamStore``: streams and answers in this process's memory behind one ``Locked``,
/// kept across configuration reloads (it lives in ``ServerRuntime``).
///
/// Expired entries are dropped on the way (a sweep at most every ``sweepInterval``); past ``capacity``
/// the entry that expires first is dropped.
public final class InMemoryStreamStore: StreamStore {
    struct Entry<Value: Sendable>: Sendable {
        var value: Value
        var expires: ContinuousClock.Instant
    }

    struct State: Sendable {
        var streams: [String: Entry<BotStream>] = [:]
        var answers: [DeliveryKey: Entry<BotAnswer>] = [:]
        var nextSweep: ContinuousClock.Instant?

        mutating func sweep(now: ContinuousClock.Instant, interval: Duration) {
            if let next = nextSweep, now < next { return }
            nextSweep = now + interval
            streams = streams.filter { $0.value.expires > now }
            answers = answers.filter { $0.value.expires > now }
        }
    }

    /// The default ``capacity``.
    public static let defaultCapacity = 10_000
    /// How often expired entries are swept.
    public static let sweepInterval: Duration = .seconds(10)

    /// The most streams (and, separately, answers) kept.
    public let capacity: Int
    private let state = Locked(State())

    /// - Parameter capacity: the most streams and answers kept (at least 1).
    public init(capacity: Int = defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    public func open(_ stream: BotStream, forMessage key: DeliveryKey, now: ContinuousClock.Instant, lifetime: Duration) {
        state.withLock { state in
            state.sweep(now: now, interval: Self.sweepInterval)
            if state.streams.count >= capacity, let first = state.streams.min(by: { $0.value.expires < $1.value.expires }) {
                state.streams[first.key] = nil
            }
            state.streams[stream.id] = Entry(value: stream, expires: now + lifetime)
            Self.store(.stream(stream.id), key, now + lifetime, in: &state, capacity: capacity)
        }
    }

    public func remember(_ answer: BotAnswer, forMessage key: DeliveryKey, now: ContinuousClock.Instant, lifetime: Duration) {
        state.withLock { state in
            state.sweep(now: now, interval: Self.sweepInterval)
            Self.store(answer, key, now + lifetime, in: &state, capacity: capacity)
        }
    }

    private static func store(_ answer: BotAnswer, _ key: DeliveryKey, _ expires: ContinuousClock.Instant, in state: inout State, capacity: Int) {
        if state.answers.count >= capacity, let first = state.answers.min(by: { $0.value.expires < $1.value.expires }) {
            state.answers[first.key] = nil
        }
        state.answers[key] = Entry(value: answer, expires: expires)
    }

    public func answer(forMessage key: DeliveryKey, now: ContinuousClock.Instant) -> BotAnswer? {
        state.withLock { state in
            guard let entry = state.answers[key], entry.expires > now else { return nil }
            return entry.value
        }
    }

    public func append(_ bytes: [UInt8], to id: String) -> Bool {
        state.withLock { state in
            guard var entry = state.streams[id], !entry.value.finish else { return false }
            entry.value.append(bytes)
            state.streams[id] = entry
            return true
        }
    }

    public func replaceContent(_ content: [UInt8], of id: String) -> Bool {
        state.withLock { state in
            guard var entry = state.streams[id], !entry.value.finish else { return false }
            entry.value.content = []
            entry.value.append(content)
            state.streams[id] = entry
            return true
        }
    }

    public func finish(_ id: String, images: [BotImage], card: JSONValue?, now: ContinuousClock.Instant) -> BotStream? {
        state.withLock { state in
            guard var entry = state.streams[id], entry.expires > now else { return nil }
            entry.value.finish = true
            entry.value.images = Array(images.prefix(BotStream.maxImages))
            entry.value.card = card
            state.streams[id] = entry
            return entry.value
        }
    }

    public func read(_ id: String, now: ContinuousClock.Instant) -> BotStream? {
        state.withLock { state in
            state.sweep(now: now, interval: Self.sweepInterval)
            guard let entry = state.streams[id], entry.expires > now else { return nil }
            return entry.value
        }
    }

    public var openCount: Int { state.withLock { $0.streams.values.count { !$0.value.finish } } }
}
