import WeComCallback

/// A callback request as WeCom would send it: method, percent-encoded query and body bytes
/// (spec §2, §5.1, §6.1). Built by the `simulate` and `fixtures` commands; transport-free.
public struct SimulatedRequest: Sendable, Equatable {
    /// `GET` for URL verification, `POST` for delivery (anything else for negative cases).
    public var method: String
    /// The query string, percent-encoded as WeCom does it (`+`, `/`, `=` as `%2B`, `%2F`, `%3D`),
    /// without the leading `?`.
    public var queryString: String
    /// The body bytes; empty for GET.
    public var body: [UInt8]

    /// Creates a request from its parts.
    public init(method: String, queryString: String, body: [UInt8] = []) {
        self.method = method
        self.queryString = queryString
        self.body = body
    }

    /// WeCom's URL-verification GET (spec §5.1): encrypts `echostr` and signs the ciphertext.
    ///
    /// - Parameters:
    ///   - crypt: the app's crypto (its random source supplies the 16-byte prefix).
    ///   - timestamp: Unix seconds as decimal text.
    ///   - nonce: a decimal nonce.
    ///   - echostr: the plaintext the server must answer with (a ~19-digit decimal string in samples).
    /// - Returns: `GET ?msg_signature&timestamp&nonce&echostr`.
    /// - Throws: ``SimulationError/crypto(_:)`` when encryption or hashing fails.
    public static func urlVerification(crypt: WXBizMsgCrypt, timestamp: String, nonce: String, echostr: String)
        throws(SimulationError) -> SimulatedRequest
    {
        do {
            let encrypted = try crypt.encrypt(Array(echostr.utf8))
            let signature = try Signature.compute(token: crypt.token, timestamp: timestamp, nonce: nonce, data: encrypted)
            return SimulatedRequest(method: "GET", queryString: query([
                ("msg_signature", signature), ("timestamp", timestamp), ("nonce", nonce), ("echostr", encrypted),
            ]))
        } catch {
            throw .crypto(error)
        }
    }

    /// A message delivery POST (spec §6.1): encrypts `plaintext`, signs it and wraps it in the envelope.
    ///
    /// - Parameters:
    ///   - crypt: the app's crypto (its receiveid is bound into the ciphertext).
    ///   - plaintext: the inbound XML (UTF-8), e.g. from ``InboundMessageBuilder/render()``.
    ///   - timestamp: Unix seconds as decimal text.
    ///   - nonce: a decimal nonce.
    ///   - toUserName: the envelope's outer `ToUserName` (the corp id).
    ///   - agentID: the envelope's outer `AgentID`; `nil` omits it.
    /// - Returns: `POST ?msg_signature&timestamp&nonce` with the envelope as body.
    /// - Throws: ``SimulationError/crypto(_:)`` when encryption or hashing fails.
    public static func delivery(
        crypt: WXBizMsgCrypt, plaintext: [UInt8], timestamp: String, nonce: String, toUserName: String,
        agentID: String?
    ) throws(SimulationError) -> SimulatedRequest {
        let encrypted: String
        do {
            encrypted = try crypt.encrypt(plaintext)
        } catch {
            throw .crypto(error)
        }
        return try signedDelivery(
            token: crypt.token, encrypt: encrypted, timestamp: timestamp, nonce: nonce, toUserName: toUserName,
            agentID: agentID)
    }

    /// A delivery POST for an already encrypted `Encrypt` value (also for deliberately broken ones).
    /// - Parameters: as ``delivery(crypt:plaintext:timestamp:nonce:toUserName:agentID:)``, with `token`
    ///   to sign and `encrypt` the base64 ciphertext.
    /// - Returns: the signed request.
    /// - Throws: ``SimulationError/crypto(_:)`` when hashing fails.
    public static func signedDelivery(
        token: String, encrypt: String, timestamp: String, nonce: String, toUserName: String, agentID: String?
    ) throws(SimulationError) -> SimulatedRequest {
        let signature: String
        do {
            signature = try Signature.compute(token: token, timestamp: timestamp, nonce: nonce, data: encrypt)
        } catch {
            throw .crypto(error)
        }
        return SimulatedRequest(
            method: "POST",
            queryString: query([("msg_signature", signature), ("timestamp", timestamp), ("nonce", nonce)]),
            body: Array(envelope(toUserName: toUserName, agentID: agentID, encrypt: encrypt).utf8))
    }

    /// The request body of spec §6.1, laid out like the official sample
    /// (`<xml><ToUserName/>\n<Encrypt/>\n<AgentID/>\n</xml>`).
    /// - Returns: the envelope XML text.
    public static func envelope(toUserName: String, agentID: String?, encrypt: String) -> String {
        var xml = "<xml><ToUserName>\(XMLText.cdata(toUserName))</ToUserName>\n<Encrypt>\(XMLText.cdata(encrypt))</Encrypt>\n"
        if let agentID { xml += "<AgentID>\(XMLText.cdata(agentID))</AgentID>\n" }
        return xml + "</xml>"
    }

    /// `name=value` pairs joined by `&`, each side percent-encoded with ``percentEncode(_:)``, in the
    /// order given (WeCom's order is not fixed; receivers must not care).
    public static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    /// Percent-encodes every byte outside the RFC 3986 unreserved set (`A–Z a–z 0–9 - . _ ~`), as
    /// WeCom does for base64 (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`; spec §5.3).
    public static func percentEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
