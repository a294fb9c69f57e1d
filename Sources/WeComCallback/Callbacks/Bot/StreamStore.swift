/// Where stream state lives: the seam between the bot pipeline (request threads answering refreshes,
/// program threads writing output) and the state they share — in this process by default
/// (``InMemoryStreamStore``), across hosts through a shared store later.
///
/// Every call is made by many threads at once; an implementation is thread-safe. Entries live for a
/// `lifetime` after their message (six minutes: WeCom refreshes no longer, spec `wecom-aibot.md` §4)
/// and are then forgotten.
public protocol StreamStore: Sendable {
    /// Stores a new stream and remembers it as the answer of its message.
    /// - Parameters:
    ///   - stream: the new stream (its id must be fresh).
    ///   - key: the message's delivery key.
    ///   - now: the message's arrival (monotonic).
    ///   - lifetime: how long after `now` the stream and the answer are kept.
    func open(_ stream: BotStream, forMessage key: DeliveryKey, now: ContinuousClock.Instant, lifetime: Duration)

    /// Remembers a message's non-stream answer (for its retries).
    /// - Parameters:
    ///   - answer: the answer given.
    ///   - key: the message's delivery key.
    ///   - now: the arrival (monotonic).
    ///   - lifetime: how long it is kept.
    func remember(_ answer: BotAnswer, forMessage key: DeliveryKey, now: ContinuousClock.Instant, lifetime: Duration)

    /// The answer the first arrival of a message gave, while remembered.
    func answer(forMessage key: DeliveryKey, now: ContinuousClock.Instant) -> BotAnswer?

    /// Appends program output to an unfinished stream.
    /// - Returns: `false` when the stream is unknown, expired or finished.
    @discardableResult
    func append(_ bytes: [UInt8], to id: String) -> Bool

    /// Replaces the content of an unfinished stream (`on_error`, an `output = "json"` reply).
    /// - Returns: `false` when the stream is unknown, expired or finished.
    @discardableResult
    func replaceContent(_ content: [UInt8], of id: String) -> Bool

    /// Marks a stream finished, with its final images and card.
    /// - Parameters:
    ///   - id: the stream id.
    ///   - images: at most 10 images for the final reply.
    ///   - card: a template card for the final reply, if any.
    ///   - now: the time (monotonic), to tell an expired stream.
    /// - Returns: the finished stream, or `nil` when it is unknown or expired (WeCom no longer refreshes
    ///   it: the caller delivers the result through `response_url`).
    func finish(_ id: String, images: [BotImage], card: JSONValue?, now: ContinuousClock.Instant) -> BotStream?

    /// The stream's state for a refresh; never waits.
    /// - Returns: the state, or `nil` when unknown or expired.
    func read(_ id: String, now: ContinuousClock.Instant) -> BotStream?

    /// How many unfinished streams are kept now (the `wecom_bot_streams_open` gauge).
    var openCount: Int { get }
}
