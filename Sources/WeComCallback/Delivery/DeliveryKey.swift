/// What makes two arrivals the same delivery (spec §6.3): (app, `MsgId`) for messages that carry one,
/// else (app, SHA-256 of the decrypted plaintext) — system events have no MsgId, share `FromUserName`
/// `sys` and often a `CreateTime`, but their plaintexts differ.
public struct DeliveryKey: Sendable, Hashable, CustomStringConvertible {
    /// `app` NUL `MsgId`, or `app` NUL `sha256:` and 64 lowercase hex digits.
    public var rawValue: String

    /// - Parameter rawValue: a key in the form above (stores that load keys back).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The key of a message.
    /// - Parameters:
    ///   - app: the app's name.
    ///   - msgID: the message's `MsgId`, if any.
    ///   - plaintext: the decrypted bytes (hashed when there is no MsgId).
    public init(app: String, msgID: String?, plaintext: [UInt8]) {
        if let msgID, !msgID.isEmpty {
            rawValue = app + "\u{0}" + msgID
        } else {
            rawValue = app + "\u{0}sha256:" + Hex.lowercase(LibCrypto.sha256(plaintext) ?? plaintext)
        }
    }

    public var description: String { rawValue }
}
