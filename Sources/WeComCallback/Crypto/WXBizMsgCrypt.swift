/// The WXBizMsgCrypt scheme for one app: signature, AES-256-CBC with 32-byte PKCS#7, receiveid check
/// (spec §3, §4 and §7). The three operations of the official SDKs are
/// ``verifyURL(msgSignature:timestamp:nonce:echostr:)``, ``decryptMessage(msgSignature:timestamp:nonce:encrypt:)``
/// and ``encryptReply(_:timestamp:nonce:)``.
///
/// A value type holding the derived key; safe to share between threads. No method traps on any input.
public struct WXBizMsgCrypt: Sendable {
    /// The Token, used only in signatures.
    public let token: String
    /// The expected receiveid (the corp id for in-house apps, spec §4.5), as UTF-8 bytes.
    public let receiveID: [UInt8]
    /// AESKey = base64_decode(EncodingAESKey + "="): 32 bytes.
    let aesKey: [UInt8]
    /// IV = AESKey[0..<16].
    let iv: [UInt8]
    let random: any RandomSource

    /// Derives the key and checks the credentials.
    ///
    /// - Parameters:
    ///   - token: the app's Token; must not be empty.
    ///   - encodingAESKey: 43 characters of the base64 alphabet that decode (leniently about the two
    ///     spare bits, spec §4.1) to 32 bytes.
    ///   - receiveID: the corp id (`corp_id`), compared byte-exact with every decrypted receiveid.
    ///   - random: source of the 16-byte random prefix of encrypted replies.
    /// - Throws: ``CredentialError`` naming `token` or `encoding_aes_key` (code -40004 for the key).
    public init(
        token: String, encodingAESKey: String, receiveID: String, random: any RandomSource = SystemRandom()
    ) throws(CredentialError) {
        guard !token.isEmpty else {
            throw CredentialError(field: "token", reason: "must not be empty")
        }
        self.token = token
        self.aesKey = try Self.deriveKey(encodingAESKey)
        self.iv = Array(aesKey[0..<16])
        self.receiveID = Array(receiveID.utf8)
        self.random = random
    }

    /// AESKey from an EncodingAESKey (spec §4.1): 32 bytes.
    /// - Throws: ``CredentialError`` (field `encoding_aes_key`, code -40004) for a wrong length or character.
    static func deriveKey(_ encodingAESKey: String) throws(CredentialError) -> [UInt8] {
        func fail(_ why: String) -> CredentialError {
            CredentialError(field: "encoding_aes_key", reason: why, code: -40004)
        }
        let chars = Array(encodingAESKey.utf8)
        guard chars.count == 43 else { throw fail("must be 43 characters, got \(encodingAESKey.count)") }
        guard case .success(let key) = LibCrypto.base64Decode(chars + [UInt8(ascii: "=")]) else {
            throw fail("must use only the base64 alphabet A-Z a-z 0-9 + /")
        }
        guard key.count == 32 else { throw fail("must decode to 32 bytes, got \(key.count)") }
        return key
    }

    // MARK: - The SDK operations

    /// URL verification (GET, spec §5): checks the signature over `echostr`, decrypts it and checks the
    /// receiveid.
    ///
    /// - Parameters: the four query values **after** percent-decoding (spec §5.3).
    /// - Returns: the decrypted `msg` bytes, to be sent back as the response body exactly.
    /// - Throws: ``WXBizMsgCryptError`` -40001 (signature), -40010 (base64), -40007, -40008, -40005.
    public func verifyURL(msgSignature: String, timestamp: String, nonce: String, echostr: String)
        throws(WXBizMsgCryptError) -> [UInt8]
    {
        try decryptMessage(msgSignature: msgSignature, timestamp: timestamp, nonce: nonce, encrypt: echostr)
    }

    /// Message decryption (POST, spec §6): checks the signature over the envelope's `Encrypt` text,
    /// decrypts it and checks the receiveid.
    ///
    /// - Parameters:
    ///   - msgSignature, timestamp, nonce: the query values after percent-decoding.
    ///   - encrypt: the `Encrypt` element's text (base64).
    /// - Returns: the plaintext `msg` bytes (UTF-8 XML, not yet validated).
    /// - Throws: ``WXBizMsgCryptError`` -40001, -40010, -40007, -40008 or -40005.
    public func decryptMessage(msgSignature: String, timestamp: String, nonce: String, encrypt: String)
        throws(WXBizMsgCryptError) -> [UInt8]
    {
        guard try Signature.verify(
            msgSignature: msgSignature, token: token, timestamp: timestamp, nonce: nonce, data: encrypt)
        else { throw .signatureMismatch }
        // The frame's parts are checked in place: only `msg` is copied out.
        let (plain, frame) = try decryptFrame(encrypt)
        let matches = plain.withUnsafeBufferPointer { bytes in
            receiveID.withUnsafeBufferPointer { expected in
                LibCrypto.constantTimeEqual(UnsafeBufferPointer(rebasing: bytes[frame.receiveID]), expected)
            }
        }
        guard matches else { throw .receiveIDMismatch }
        return Array(plain[frame.message])
    }

    /// Reply encryption (spec §7): encrypts `plaintext`, signs it and renders the reply envelope.
    ///
    /// - Parameters:
    ///   - plaintext: the passive reply XML, UTF-8.
    ///   - timestamp: Unix seconds as decimal text (the request's may be reused).
    ///   - nonce: the nonce to sign and send (the request's may be reused).
    /// - Returns: the envelope `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`, newline-separated
    ///   like the official SDK template.
    /// - Throws: -40006 (AES or randomness), -40009 (base64), -40003 (SHA1), -40011 (a timestamp that is not
    ///   decimal digits).
    public func encryptReply(_ plaintext: [UInt8], timestamp: String, nonce: String)
        throws(WXBizMsgCryptError) -> String
    {
        String(decoding: try encryptReplyBytes(plaintext, timestamp: timestamp, nonce: nonce), as: UTF8.self)
    }

    /// ``encryptReply(_:timestamp:nonce:)`` as the UTF-8 bytes of the envelope (a response body as it
    /// is sent, without the round trip through `String`).
    /// - Throws: as ``encryptReply(_:timestamp:nonce:)``.
    func encryptReplyBytes(_ plaintext: [UInt8], timestamp: String, nonce: String)
        throws(WXBizMsgCryptError) -> [UInt8]
    {
        guard !timestamp.isEmpty, timestamp.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw .buildReplyFailed("timestamp must be decimal digits")
        }
        let encrypt = try encrypt(plaintext)
        let signature = try Signature.compute(token: token, timestamp: timestamp, nonce: nonce, data: encrypt)
        // Base64 and hex cannot contain "]]>" or XML-illegal characters: no escaping needed. Bytes
        // appended into one buffer sized up front.
        var xml = [UInt8]()
        xml.reserveCapacity(160 + encrypt.utf8.count + timestamp.utf8.count + nonce.utf8.count)
        Bytes.append("<xml>\n<Encrypt><![CDATA[", to: &xml)
        Bytes.append(encrypt, to: &xml)
        Bytes.append("]]></Encrypt>\n<MsgSignature><![CDATA[", to: &xml)
        Bytes.append(signature, to: &xml)
        Bytes.append("]]></MsgSignature>\n<TimeStamp>", to: &xml)
        Bytes.append(timestamp, to: &xml)
        Bytes.append("</TimeStamp>\n<Nonce>", to: &xml)
        XMLText.appendCDATA(nonce, to: &xml)
        Bytes.append("</Nonce>\n</xml>", to: &xml)
        return xml
    }

    // MARK: - The cipher layer

    /// A decrypted buffer split into its parts (spec §4.2).
    public struct Frame: Sendable, Equatable {
        /// The 16-byte random prefix.
        public var random: [UInt8]
        /// The `msg` bytes (length given by the big-endian length field).
        public var message: [UInt8]
        /// Everything between `msg` and the padding: the receiveid found.
        public var receiveID: [UInt8]
        /// The PKCS#7 pad value found, 1…32.
        public var padValue: Int
    }

    /// Encrypts one message: random(16) ‖ uint32_be(len) ‖ msg ‖ receiveid, PKCS#7 to 32, AES-256-CBC,
    /// standard base64 (spec §4.2–4.4).
    ///
    /// - Parameter message: the `msg` bytes (UTF-8).
    /// - Returns: base64 text (the `Encrypt` value).
    /// - Throws: -40006 when randomness or AES fails, -40009 when base64 encoding fails.
    public func encrypt(_ message: [UInt8]) throws(WXBizMsgCryptError) -> String {
        guard let prefix = random.randomPrefix(), prefix.count == 16 else { throw .encryptFailed }
        guard message.count <= Int(UInt32.max) else { throw .encryptFailed }
        let length = UInt32(message.count)
        // Built and padded in one buffer sized up front (``PKCS7/pad(_:)`` would copy it once more).
        var buffer = prefix
        buffer.reserveCapacity(20 + message.count + receiveID.count + PKCS7.blockSize)
        buffer.append(UInt8(length >> 24))
        buffer.append(UInt8((length >> 16) & 0xff))
        buffer.append(UInt8((length >> 8) & 0xff))
        buffer.append(UInt8(length & 0xff))
        buffer += message
        buffer += receiveID
        PKCS7.padInPlace(&buffer)
        return try encryptBuffer(buffer)
    }

    /// The bare cipher step of ``encrypt(_:)``: AES-256-CBC with this app's key and IV, then standard
    /// base64, over a buffer exactly as given — no §4.2 layout, no padding added. ``encrypt(_:)`` is
    /// this after building and padding the frame; called directly, it makes deliberately broken frames
    /// (wrong padding or length fields) for negative tests, which a correct sender never produces.
    ///
    /// - Parameter buffer: the whole plaintext buffer, a positive multiple of 16 bytes.
    /// - Returns: base64 ciphertext.
    /// - Throws: -40006 when the length is not a positive multiple of 16 or AES fails; -40009 when
    ///   base64 encoding fails.
    public func encryptBuffer(_ buffer: [UInt8]) throws(WXBizMsgCryptError) -> String {
        guard !buffer.isEmpty, buffer.count % 16 == 0,
            let ciphertext = LibCrypto.aes256CBC(encrypt: true, key: aesKey, iv: iv, input: buffer)
        else { throw .encryptFailed }
        guard let text = LibCrypto.base64Encode(ciphertext) else { throw .encodeBase64Failed }
        return text
    }

    /// Decrypts base64 ciphertext with every check of spec §4.4 except the receiveid comparison,
    /// which the caller makes (``decryptMessage(msgSignature:timestamp:nonce:encrypt:)`` does).
    ///
    /// - Parameter encrypt: base64 text (`Encrypt` or `echostr`).
    /// - Returns: the parts of the buffer.
    /// - Throws: -40010 (not base64), -40007 (empty or not a multiple of 16, AES failure),
    ///   -40008 (padding, fewer than 20 bytes, length field out of bounds).
    public func decrypt(_ encrypt: String) throws(WXBizMsgCryptError) -> Frame {
        let (plain, frame) = try decryptFrame(encrypt)
        return Frame(random: Array(plain[frame.random]), message: Array(plain[frame.message]),
                     receiveID: Array(plain[frame.receiveID]), padValue: frame.padValue)
    }

    /// Where the parts of a decrypted buffer are (``Frame``'s fields as ranges of it).
    struct FrameLayout {
        var random: Range<Int>
        var message: Range<Int>
        var receiveID: Range<Int>
        var padValue: Int
    }

    /// ``decrypt(_:)`` without copying the parts out: the decrypted buffer and where they are in it.
    /// - Throws: as ``decrypt(_:)``.
    func decryptFrame(_ encrypt: String) throws(WXBizMsgCryptError) -> ([UInt8], FrameLayout) {
        let ciphertext: [UInt8]
        switch LibCrypto.base64Decode(encrypt.utf8) {
        case .success(let bytes): ciphertext = bytes
        case .failure(let problem): throw .decodeBase64Failed(problem.description)
        }
        guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else {
            throw .decryptFailed("ciphertext length \(ciphertext.count) is not a positive multiple of 16")
        }
        guard let plain = LibCrypto.aes256CBC(encrypt: false, key: aesKey, iv: iv, input: ciphertext) else {
            throw .decryptFailed("AES-256-CBC failed")
        }
        let padValue = Int(plain.last ?? 0)
        let content = try PKCS7.unpad(plain)
        guard content.count >= 20 else {
            throw .illegalBuffer("\(content.count) bytes after unpadding, at least 20 needed")
        }
        let base = content.startIndex
        let length = content[(base + 16)..<(base + 20)].reduce(0) { ($0 << 8) | Int($1) }
        guard length <= content.count - 20 else {
            throw .illegalBuffer("length field \(length) exceeds the \(content.count - 20) bytes present")
        }
        let messageEnd = base + 20 + length
        return (plain, FrameLayout(random: base..<(base + 16), message: (base + 20)..<messageEnd,
                                   receiveID: messageEnd..<content.endIndex, padValue: padValue))
    }
}
