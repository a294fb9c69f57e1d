import WeComCallback

/// A passive reply envelope as a server returns it (spec §7):
/// `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`. The client side of
/// ``WXBizMsgCrypt/encryptReply(_:timestamp:nonce:)``, used by `simulate message` to check a server.
public struct ReplyEnvelope: Sendable, Equatable {
    /// The base64 ciphertext of the reply XML.
    public var encrypt: String
    /// The server's signature over (Token, ``timeStamp``, ``nonce``, ``encrypt``).
    public var msgSignature: String
    /// Unix seconds chosen by the server, as text.
    public var timeStamp: String
    /// The nonce chosen by the server.
    public var nonce: String

    /// Parses a reply body with the hardened reader.
    /// - Parameter body: the HTTP response body.
    /// - Throws: ``SimulationError/malformedReplyEnvelope(_:)`` naming the XML problem or the first
    ///   missing (or empty) element of the four.
    public init(parsing body: [UInt8]) throws(SimulationError) {
        let root: XMLElement
        do {
            root = try XMLReader(limits: Envelope.limits).parse(body)
        } catch {
            throw .malformedReplyEnvelope(error.description)
        }
        func value(_ name: String) throws(SimulationError) -> String {
            guard let text = root.child(name)?.text.trimmingASCIIWhitespace(), !text.isEmpty else {
                throw .malformedReplyEnvelope("no \(name) element")
            }
            return text
        }
        encrypt = try value("Encrypt")
        msgSignature = try value("MsgSignature")
        timeStamp = try value("TimeStamp")
        nonce = try value("Nonce")
    }

    /// Verifies the signature, decrypts and checks the receiveid (the corp id), like WeCom does.
    /// - Parameter crypt: the app's crypto.
    /// - Returns: the reply plaintext XML bytes.
    /// - Throws: ``SimulationError/replySignatureMismatch``, or ``SimulationError/crypto(_:)`` for a
    ///   decryption failure or a receiveid that is not the corp id.
    public func open(with crypt: WXBizMsgCrypt) throws(SimulationError) -> [UInt8] {
        do {
            guard try Signature.verify(
                msgSignature: msgSignature, token: crypt.token, timestamp: timeStamp, nonce: nonce, data: encrypt)
            else { throw SimulationError.replySignatureMismatch }
            let frame = try crypt.decrypt(encrypt)
            guard frame.receiveID == crypt.receiveID else { throw SimulationError.crypto(.receiveIDMismatch) }
            return frame.message
        } catch let error as SimulationError {
            throw error
        } catch let error as WXBizMsgCryptError {
            throw .crypto(error)
        } catch {
            throw .crypto(.decryptFailed("unexpected error"))
        }
    }
}
