/// What happens to an authenticated, decrypted message: the seam between the HTTP/crypto layer
/// (``CallbackHandler``) and the message layer (parsing, routing, actions).
public protocol MessageProcessor: Sendable {
    /// Handles one decrypted plaintext.
    ///
    /// - Parameters:
    ///   - plaintext: the decrypted `msg` bytes (UTF-8 XML, spec §8–§9), already authenticated.
    ///   - context: which app and request it belongs to.
    /// - Returns: the passive reply plaintext to encrypt, or no reply, with what to log.
    func process(_ plaintext: [UInt8], context: ProcessingContext) -> ProcessingOutcome
}

/// Facts about the delivery a processor may need.
public struct ProcessingContext: Sendable {
    /// The app's configured name.
    public var appName: String
    /// The app's corp id (receiveid), the `FromUserName` of replies.
    public var corpID: String
    /// When the request arrived (for budgets), monotonic.
    public var arrival: ContinuousClock.Instant
    /// The request's `timestamp` query value (Unix seconds as text).
    public var timestamp: String
    /// The request's `nonce` query value, as sent.
    public var nonce: String
    /// The replay window (`[server] max_timestamp_skew_s`) when it is on, else `nil`.
    public var replayWindow: Duration?

    public init(appName: String, corpID: String, arrival: ContinuousClock.Instant, timestamp: String,
                nonce: String = "", replayWindow: Duration? = nil) {
        self.appName = appName
        self.corpID = corpID
        self.arrival = arrival
        self.timestamp = timestamp
        self.nonce = nonce
        self.replayWindow = replayWindow
    }
}

/// The result of processing one message.
public struct ProcessingOutcome: Sendable, Equatable {
    public enum Disposition: Sendable, Equatable {
        /// Encrypt and return this passive reply XML (UTF-8).
        case reply([UInt8])
        /// Answer 200 with an empty body.
        case noReply
        /// Authenticated but refused (e.g. an AgentID that is not this app's): answer 403.
        case forbidden(String)
        /// Authenticated but not a message at all (an AI bot's plaintext that is not a JSON object):
        /// answer 400, like an envelope that does not parse.
        case malformed(String)
        /// Authenticated but could not be handled (parse or action failure): 200, empty body,
        /// and an error log line with this reason.
        case failed(String)
    }

    public var disposition: Disposition
    /// `MsgType`, or `event/<Event>` for events: for the request log line.
    public var summary: String
    /// `MsgId` when the message has one: for the request log line.
    public var msgID: String?

    public init(_ disposition: Disposition, summary: String = "-", msgID: String? = nil) {
        self.disposition = disposition
        self.summary = summary
        self.msgID = msgID
    }
}
