import WeComCallback

/// WeCom's side of a stream reply (wecom-aibot.md §4): after a first reply with `finish: false`, WeCom
/// POSTs refreshes for the stream id until a reply says `finish: true`, for at most six minutes after
/// the user's message.
///
/// A value type that only decides (the async-http-client state-machine shape): the caller sends what
/// ``next()`` asks for, at the time it names, and feeds the answer to ``receive(_:sentAt:)``. Times are
/// `ContinuousClock` instants passed in, so tests drive it with plain values.
public struct StreamDriver: Sendable {
    /// How WeCom refreshes.
    public struct Settings: Sendable, Equatable {
        /// Time between the starts of two requests (WeCom's is about a second; not published).
        public var interval: Duration
        /// How long after the user's message refreshes are sent (§4: six minutes).
        public var window: Duration
        /// Stop after this many refreshes even if the stream is not finished; `nil` for no limit.
        public var maxRefreshes: Int?

        /// - Parameters:
        ///   - interval: time between request starts (default 1 s).
        ///   - window: the refresh window (default 360 s).
        ///   - maxRefreshes: a refresh limit, or `nil`.
        public init(interval: Duration = .seconds(1), window: Duration = .seconds(360), maxRefreshes: Int? = nil) {
            self.interval = interval
            self.window = window
            self.maxRefreshes = maxRefreshes
        }
    }

    /// What to do next.
    public enum Next: Sendable, Equatable {
        /// Send a refresh for `streamID` at `at` (or now, if that has passed).
        case refresh(streamID: String, at: ContinuousClock.Instant)
        /// The stream finished: ``latest`` is the final reply.
        case finished
        /// ``Settings/maxRefreshes`` refreshes were sent and the stream is still open.
        case stoppedAtMaxRefreshes(Int)
    }

    /// The settings.
    public let settings: Settings
    /// When the user's message was sent: the window starts here.
    public let messageSentAt: ContinuousClock.Instant
    /// The stream id chosen in the first reply.
    public let streamID: String
    /// The template card of the first reply (`stream_with_template_card`), if any.
    public let card: JSONValue?
    /// The last stream reply received.
    public private(set) var latest: BotReplyStream
    /// Refreshes answered so far.
    public private(set) var refreshes = 0
    /// When the last request (message or refresh) was sent.
    public private(set) var lastSentAt: ContinuousClock.Instant

    /// Starts from the answer to the user's message.
    /// - Parameters:
    ///   - first: the reply to the message; must be a stream or stream_with_template_card.
    ///   - messageSentAt: when the message was sent.
    ///   - settings: the refresh settings.
    /// - Throws: ``BotReplyViolation/replyNotAllowed(_:)`` when `first` is not a stream.
    public init(first: BotReply, messageSentAt: ContinuousClock.Instant, settings: Settings = Settings())
        throws(BotReplyViolation)
    {
        guard let stream = first.stream else { throw .replyNotAllowed("\(first.formName) is not a stream") }
        self.settings = settings
        self.messageSentAt = messageSentAt
        self.lastSentAt = messageSentAt
        self.streamID = stream.id
        self.card = first.card
        self.latest = stream
    }

    /// The next step.
    /// - Returns: ``Next/finished`` once a reply said `finish: true`; ``Next/stoppedAtMaxRefreshes(_:)`` at
    ///   the limit; otherwise the refresh and when to send it (one ``Settings/interval`` after the last request).
    /// - Throws: ``BotReplyViolation/notFinishedInTime(seconds:)`` when that time is past the window.
    public func next() throws(BotReplyViolation) -> Next {
        if latest.finish { return .finished }
        if let limit = settings.maxRefreshes, refreshes >= limit { return .stoppedAtMaxRefreshes(refreshes) }
        let at = lastSentAt + settings.interval
        guard at <= messageSentAt + settings.window else {
            throw .notFinishedInTime(seconds: Int(settings.window.components.seconds))
        }
        return .refresh(streamID: streamID, at: at)
    }

    /// Takes the answer to a refresh.
    /// - Parameters:
    ///   - reply: the decrypted reply, `nil` for an empty body.
    ///   - sentAt: when that refresh was sent.
    /// - Throws: the violations of ``BotReplyRules/check(_:answering:)`` for a refresh (empty body, another
    ///   stream id, a repeated card, not a stream).
    public mutating func receive(_ reply: BotReply?, sentAt: ContinuousClock.Instant) throws(BotReplyViolation) {
        try BotReplyRules.check(reply, answering: .streamRefresh(id: streamID))
        guard let stream = reply?.stream else { throw .emptyRefreshReply }  // check() made sure it is there
        refreshes += 1
        lastSentAt = sentAt
        latest = stream
    }
}
