/// The errors of the WXBizMsgCrypt scheme, one case per official SDK return code (spec §4.6).
///
/// Every case carries a short, secret-free explanation of what exactly was wrong, suitable
/// for a log line. `code` gives the SDK number (-40001 … -40011) for diagnostics.
public enum WXBizMsgCryptError: Error, Equatable, Sendable, CustomStringConvertible {
    /// -40001: `msg_signature` does not match SHA1(sort(token, timestamp, nonce, data)).
    case signatureMismatch
    /// -40002: the envelope (request body) is not the expected XML or has no `Encrypt`.
    case envelopeParseFailed(String)
    /// -40003: the SHA1 digest could not be computed (libcrypto failure).
    case computeSignatureFailed
    /// -40004: the EncodingAESKey is not 43 base64 characters or does not decode to 32 bytes.
    case invalidEncodingAESKey(String)
    /// -40005: the decrypted receiveid differs from the configured one (corp id mismatch).
    case receiveIDMismatch
    /// -40006: AES-256-CBC encryption failed inside libcrypto.
    case encryptFailed
    /// -40007: AES decryption failed, or the ciphertext is empty or not a multiple of 16 bytes.
    case decryptFailed(String)
    /// -40008: the decrypted buffer is malformed (padding, length field, too short).
    case illegalBuffer(String)
    /// -40009: base64 encoding failed.
    case encodeBase64Failed
    /// -40010: the ciphertext is not valid standard base64.
    case decodeBase64Failed(String)
    /// -40011: the reply envelope XML could not be built.
    case buildReplyFailed(String)

    /// The official SDK return code for this error (spec §4.6).
    public var code: Int {
        switch self {
        case .signatureMismatch: return -40001
        case .envelopeParseFailed: return -40002
        case .computeSignatureFailed: return -40003
        case .invalidEncodingAESKey: return -40004
        case .receiveIDMismatch: return -40005
        case .encryptFailed: return -40006
        case .decryptFailed: return -40007
        case .illegalBuffer: return -40008
        case .encodeBase64Failed: return -40009
        case .decodeBase64Failed: return -40010
        case .buildReplyFailed: return -40011
        }
    }

    public var description: String {
        switch self {
        case .signatureMismatch: return "signature mismatch (\(code))"
        case .envelopeParseFailed(let why): return "envelope parse failed: \(why) (\(code))"
        case .computeSignatureFailed: return "computing SHA1 failed (\(code))"
        case .invalidEncodingAESKey(let why): return "invalid EncodingAESKey: \(why) (\(code))"
        case .receiveIDMismatch: return "receiveid mismatch (\(code))"
        case .encryptFailed: return "AES encryption failed (\(code))"
        case .decryptFailed(let why): return "AES decryption failed: \(why) (\(code))"
        case .illegalBuffer(let why): return "illegal decrypted buffer: \(why) (\(code))"
        case .encodeBase64Failed: return "base64 encoding failed (\(code))"
        case .decodeBase64Failed(let why): return "base64 decoding failed: \(why) (\(code))"
        case .buildReplyFailed(let why): return "building the reply envelope failed: \(why) (\(code))"
        }
    }
}

/// A credential given to ``WXBizMsgCrypt/init(token:encodingAESKey:receiveID:random:)`` is unusable.
///
/// `field` is the configuration name (`token`, `encoding_aes_key`); the value itself is never
/// included, because it is a secret.
public struct CredentialError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let reason: String
    /// The SDK code, -40004 for the key; `nil` for errors the SDK has no number for.
    public let code: Int?

    public init(field: String, reason: String, code: Int? = nil) {
        self.field = field
        self.reason = reason
        self.code = code
    }

    public var description: String { "\(field): \(reason)" }
}
