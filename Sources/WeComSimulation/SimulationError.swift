import WeComCallback

/// Why a simulated request could not be built or a simulated reply could not be checked.
public enum SimulationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `MsgType` the builder does not know (spec §8 lists text, image, voice, video, location, link;
    /// plus `event`).
    case unknownMessageType(String)
    /// `MsgType` is `event` but no `Event` was given.
    case missingEvent
    /// The reply body is not a reply envelope (spec §7); names what is wrong.
    case malformedReplyEnvelope(String)
    /// The reply envelope's `MsgSignature` does not match its `Encrypt`, `TimeStamp` and `Nonce`.
    case replySignatureMismatch
    /// Encryption, decryption or the receiveid check failed.
    case crypto(WXBizMsgCryptError)
    /// The Token or EncodingAESKey cannot be used (names the field, never its value).
    case invalidCredentials(String)
    /// An AI bot message that WeCom would not send (wecom-aibot.md §2–§3); says why.
    case invalidBotMessage(String)

    public var description: String {
        switch self {
        case .unknownMessageType(let type):
            return "unknown message type \"\(type)\" (known: \(InboundMessageBuilder.messageTypes.joined(separator: ", ")), event)"
        case .missingEvent: return "an event needs an Event value"
        case .malformedReplyEnvelope(let why): return "malformed reply envelope: \(why)"
        case .replySignatureMismatch: return "reply MsgSignature does not match (-40001)"
        case .crypto(let error): return error.description
        case .invalidCredentials(let why): return "invalid credentials: \(why)"
        case .invalidBotMessage(let why): return "invalid bot message: \(why)"
        }
    }
}
