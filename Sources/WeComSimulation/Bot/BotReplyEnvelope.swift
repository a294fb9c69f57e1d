import WeComCallback

/// A bot server's passive reply envelope (wecom-aibot.md §1):
/// `{"encrypt": "<base64>", "msgsignature": "<hex sha1>", "timestamp": <seconds>, "nonce": "<request's>"}`.
/// The client side of the server's JSON reply, used by `simulate bot message` to check a server.
public struct BotReplyEnvelope: Sendable, Equatable {
    /// The base64 ciphertext of the reply JSON.
    public var encrypt: String
    /// The server's signature over (Token, ``timestamp``, ``nonce``, ``encrypt``).
    public var msgSignature: String
    /// Unix seconds as decimal text (sent as a JSON number or a string of digits; both are accepted).
    public var timestamp: String
    /// The nonce the server signed; must be the request's.
    public var nonce: String

    /// Parses a reply body.
    /// - Parameter body: the HTTP response body (non-empty).
    /// - Throws: ``BotReplyViolation/malformedEnvelope(_:)`` when it is not a JSON object, or a field is
    ///   missing, empty or of the wrong type (`timestamp` must be an integer or a string of digits).
    public init(parsing body: [UInt8]) throws(BotReplyViolation) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw .malformedEnvelope("not JSON")
        }
        guard root.isObject else { throw .malformedEnvelope("not a JSON object") }
        func string(_ key: String) throws(BotReplyViolation) -> String {
            guard let text = root[key]?.stringValue, !text.isEmpty else {
                throw .malformedEnvelope("no \(key) string")
            }
            return text
        }
        encrypt = try string("encrypt")
        msgSignature = try string("msgsignature")
        nonce = try string("nonce")
        switch root["timestamp"] {
        case .int(let seconds)?: timestamp = String(seconds)
        case .string(let text)? where !text.isEmpty && text.utf8.allSatisfy({ (0x30...0x39).contains($0) }):
            timestamp = text
        default: throw .malformedEnvelope("no timestamp (a number or a string of digits)")
        }
    }

    /// Verifies the signature, the nonce and the receiveid like WeCom does, and decrypts.
    /// - Parameters:
    ///   - crypt: the bot's crypto; its receiveid (normally "") is what the reply must carry.
    ///   - requestNonce: the nonce of the request this answers.
    /// - Returns: the reply plaintext bytes (not yet checked for UTF-8 or JSON: ``BotReply`` does that).
    /// - Throws: ``BotReplyViolation/signatureMismatch``, ``BotReplyViolation/nonceMismatch(expected:got:)``,
    ///   ``BotReplyViolation/crypto(_:)`` or ``BotReplyViolation/receiveIDNotEmpty(_:)``.
    public func open(with crypt: WXBizMsgCrypt, requestNonce: String) throws(BotReplyViolation) -> [UInt8] {
        let signed: Bool
        do {
            signed = try Signature.verify(
                msgSignature: msgSignature, token: crypt.token, timestamp: timestamp, nonce: nonce, data: encrypt)
        } catch {
            throw .crypto(error)
        }
        guard signed else { throw .signatureMismatch }
        guard nonce == requestNonce else { throw .nonceMismatch(expected: requestNonce, got: nonce) }
        let frame: WXBizMsgCrypt.Frame
        do {
            frame = try crypt.decrypt(encrypt)
        } catch {
            throw .crypto(error)
        }
        guard frame.receiveID == crypt.receiveID else {
            throw .receiveIDNotEmpty(String(decoding: frame.receiveID, as: UTF8.self))
        }
        return frame.message
    }
}
