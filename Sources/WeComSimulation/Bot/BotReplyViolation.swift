import WeComCallback

/// A way in which a bot server's answer breaks the AI bot protocol (wecom-aibot.md §1, §4), as WeCom's
/// side sees it. Each case says exactly what was wrong; none carries a secret.
public enum BotReplyViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// The body is not the JSON envelope `{"encrypt","msgsignature","timestamp","nonce"}`; says why.
    case malformedEnvelope(String)
    /// `msgsignature` does not match (Token, `timestamp`, `nonce`, `encrypt`).
    case signatureMismatch
    /// The envelope's `nonce` is not the request's (§1: the reply carries the request's nonce).
    case nonceMismatch(expected: String, got: String)
    /// The decrypted receiveid is not the empty string (e.g. a corp id): its text.
    case receiveIDNotEmpty(String)
    /// Decryption failed (base64, AES, padding, frame).
    case crypto(WXBizMsgCryptError)
    /// The decrypted reply is not valid UTF-8.
    case notUTF8
    /// The decrypted reply is not a JSON object; says why.
    case notJSON(String)
    /// A required field is missing or has the wrong type (its JSON path).
    case badField(String)
    /// This reply is not allowed for this callback (e.g. text for a user message, anything for feedback).
    case replyNotAllowed(String)
    /// `stream.content` is longer than 20480 bytes of UTF-8 (§4): its length.
    case contentTooLong(Int)
    /// `stream.msg_item` in a reply with `finish: false` (§4: images only in the final reply).
    case msgItemBeforeFinish
    /// More than 10 images in `msg_item` (§4): the count.
    case tooManyImages(Int)
    /// A `msg_item` element is not a valid image (`{"msgtype":"image","image":{"base64","md5"}}`, ≤ 10 MB).
    case badImage(String)
    /// A refresh was answered with another stream id.
    case streamIDChanged(expected: String, got: String)
    /// A refresh was answered with an empty body.
    case emptyRefreshReply
    /// The stream did not finish within WeCom's window (§4: six minutes): the seconds waited.
    case notFinishedInTime(seconds: Int)

    public var description: String {
        switch self {
        case .malformedEnvelope(let why): return "malformed reply envelope: \(why)"
        case .signatureMismatch: return "reply msgsignature does not match (-40001)"
        case .nonceMismatch(let expected, let got):
            return "reply nonce \"\(got)\" is not the request's nonce \"\(expected)\""
        case .receiveIDNotEmpty(let id): return "reply receiveid is \"\(id)\", expected the empty string (an AI bot's)"
        case .crypto(let error): return error.description
        case .notUTF8: return "decrypted reply is not valid UTF-8"
        case .notJSON(let why): return "decrypted reply is not a JSON object: \(why)"
        case .badField(let path): return "reply field \(path) is missing or has the wrong type"
        case .replyNotAllowed(let why): return "reply not allowed: \(why)"
        case .contentTooLong(let bytes): return "stream.content is \(bytes) bytes, over the 20480-byte limit"
        case .msgItemBeforeFinish: return "stream.msg_item in a reply with finish false (images only in the final reply)"
        case .tooManyImages(let count): return "stream.msg_item has \(count) images, at most 10 are allowed"
        case .badImage(let why): return "stream.msg_item: \(why)"
        case .streamIDChanged(let expected, let got): return "refresh of stream \"\(expected)\" answered with stream \"\(got)\""
        case .emptyRefreshReply: return "a stream refresh was answered with an empty body"
        case .notFinishedInTime(let seconds): return "stream not finished after \(seconds) s (WeCom stops refreshing after 360 s)"
        }
    }
}
