/// The request body of a message delivery (spec §6.1): `<xml><ToUserName/><AgentID/><Encrypt/></xml>`.
///
/// Parsed **before** authentication, so with the hardened ``XMLReader`` (no DTDs, no entities,
/// size/depth/count limits). The root element's name is not checked; element order is free.
public struct Envelope: Sendable, Equatable {
    /// The `Encrypt` text: base64 ciphertext, the value `msg_signature` covers. Surrounding
    /// whitespace is trimmed (base64 never contains any).
    public var encrypt: String
    /// The outer `ToUserName` (CorpID), unauthenticated; `nil` when absent.
    public var toUserName: String?
    /// The outer `AgentID` (or `AgentId`) text, unauthenticated; `nil` when absent or empty.
    public var agentID: String?

    /// Creates an envelope from its parts.
    public init(encrypt: String, toUserName: String? = nil, agentID: String? = nil) {
        self.encrypt = encrypt
        self.toUserName = toUserName
        self.agentID = agentID
    }

    /// Limits for envelopes: they are small (a few KiB), and unauthenticated.
    public static let limits = XMLReader.Limits(maxBytes: 1 << 20, maxDepth: 4, maxElements: 64)

    /// Parses a request body.
    /// - Parameters:
    ///   - body: the HTTP body bytes (UTF-8 XML).
    ///   - limits: reader limits (default ``limits``).
    /// - Returns: the envelope.
    /// - Throws: ``MessageError/xml(_:)`` for rejected XML, ``MessageError/missingField(_:)`` (`Encrypt`)
    ///   when there is no non-empty `Encrypt` element.
    ///
    /// The usual body is read in one pass without building elements (``scanPlain(_:limits:)``); any
    /// other goes through the reader. Both give the same envelope, and every error is the reader's.
    public init(parsing body: [UInt8], limits: XMLReader.Limits = Envelope.limits) throws(MessageError) {
        if let scanned = Self.scanPlain(body, limits: limits) {
            self = scanned
        } else {
            self = try Self.read(body, limits: limits)
        }
    }

    /// The envelope through the full ``XMLReader`` and element lookups (what ``init(parsing:limits:)``
    /// does for a body ``scanPlain(_:limits:)`` does not take).
    /// - Throws: as ``init(parsing:limits:)``.
    static func read(_ body: [UInt8], limits: XMLReader.Limits) throws(MessageError) -> Envelope {
        let root: XMLElement
        do {
            root = try XMLReader(limits: limits).parse(body)
        } catch {
            throw .xml(error)
        }
        guard let encrypt = root.child("Encrypt")?.text.trimmingASCIIWhitespace(), !encrypt.isEmpty else {
            throw .missingField("Encrypt")
        }
        let agent = (root.child("AgentID") ?? root.child("AgentId"))?.text.trimmingASCIIWhitespace()
        return Envelope(encrypt: encrypt, toUserName: root.child("ToUserName")?.text, agentID: (agent?.isEmpty ?? true) ? nil : agent)
    }
}

extension String {
    /// The string without leading/trailing ASCII whitespace (space, tab, CR, LF), the way WeCom's XML
    /// values are compared; other Unicode whitespace is kept.
    /// - Returns: the trimmed string (`self` when nothing is trimmed, `""` when all is whitespace).
    public func trimmingASCIIWhitespace() -> String {
        // The usual case, nothing to trim, is decided by the first and last byte.
        let bytes = utf8
        guard let head = bytes.first, let tail = bytes.last else { return self }
        let isSpaceByte: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if !isSpaceByte(head), !isSpaceByte(tail) { return self }
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }
}
