/// One WeCom app served by the handler: its path, its crypto and what it does with messages.
public struct CallbackApp: Sendable {
    /// Unique name, used in logs and given to external programs.
    public var name: String
    /// The request path (DOCUMENT_URI) this app answers; `nil` answers every path.
    public var path: String?
    /// Signature, decryption and reply encryption for this app's credentials.
    public var crypt: WXBizMsgCrypt
    /// The corp id (receiveid) as text.
    public var corpID: String
    /// What happens to each authenticated message.
    public var processor: any MessageProcessor
    /// The envelopes it speaks: an app's XML or an AI bot's JSON.
    public var kind: CallbackKind

    public init(name: String, path: String?, crypt: WXBizMsgCrypt, corpID: String, processor: any MessageProcessor,
                kind: CallbackKind = .app) {
        self.name = name
        self.kind = kind
        self.path = path.map(Self.normalise)
        self.crypt = crypt
        self.corpID = corpID
        self.processor = processor
    }

    /// A path without its trailing slashes (`/wecom/app/` → `/wecom/app`; `/` stays `/`).
    static func normalise(_ path: String) -> String {
        // The usual path has no trailing slash: decided by its last byte, without counting characters
        // (a last byte `/` goes the general way: it may end a longer character).
        guard path.utf8.last == UInt8(ascii: "/") else { return path }
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }
}
