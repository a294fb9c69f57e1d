/// A reply type WeCom does not accept as a passive reply (spec §10.2: `markdown`, `textcard`,
/// `file`, `mpnews`, `miniprogram_notice`, `template_card`, `music`, …), kept so that a later
/// feature can send it with the active send API (`message/send`). It cannot be rendered as XML.
public struct ActiveOnlyReply: Sendable, Equatable {
    /// The reply types recognised as send-API-only.
    public static let types: Set<String> = [
        "markdown", "textcard", "file", "mpnews", "miniprogram_notice", "template_card", "music",
        "transfer_customer_service", "shortvideo",
    ]

    /// `MsgType`, e.g. `markdown`.
    public var msgType: String
    /// The whole reply object re-serialised as compact JSON with sorted keys (UTF-8 text).
    public var json: String

    /// Creates the value.
    public init(msgType: String, json: String) {
        self.msgType = msgType
        self.json = json
    }
}
