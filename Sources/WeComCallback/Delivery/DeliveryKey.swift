/// What makes two arrivals the same delivery (spec §6.3): (app, `MsgId`) for messages that carry one,
/// else (app, SHA-256 of the decrypted plaintext) — system events have no MsgId, share `FromUserName`
/// `sys` and often a `CreateTime`, but their plaintexts differ.
///
/// The key's hash is computed once, when it is made: a delivery table hashes it on every claim, update
/// and answer, and hashing the text each time was most of the table's work.
public struct DeliveryKey: Sendable, Hashable, CustomStringConvertible {
    /// `app` NUL `MsgId`, or `app` NUL `sha256:` and 64 lowercase hex digits.
    public var rawValue: String {
        didSet { rawHash = rawValue.hashValue }
    }
    /// `rawValue.hashValue` (this process's seed; never stored or sent anywhere).
    private var rawHash: Int

    /// - Parameter rawValue: a key in the form above (stores that load keys back).
    public init(rawValue: String) {
        self.rawValue = rawValue
        rawHash = rawValue.hashValue
    }

    /// Keys are equal when their texts are (the hashes first: unequal ones differ there almost always).
    public static func == (lhs: DeliveryKey, rhs: DeliveryKey) -> Bool {
        lhs.rawHash == rhs.rawHash && lhs.rawValue == rhs.rawValue
    }

    /// Feeds the precomputed hash of ``rawValue``: consistent with `==`, which compares the text.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawHash)
    }

    /// The key of a message.
    /// - Parameters:
    ///   - app: the app's name.
    ///   - msgID: the message's `MsgId`, if any.
    ///   - plaintext: the decrypted bytes (hashed when there is no MsgId).
    public init(app: String, msgID: String?, plaintext: [UInt8]) {
        if let msgID, !msgID.isEmpty {
            self.init(rawValue: app + "\u{0}" + msgID)
        } else {
            self.init(rawValue: app + "\u{0}sha256:" + Hex.lowercase(LibCrypto.sha256(plaintext) ?? plaintext))
        }
    }

    public var description: String { rawValue }
}
