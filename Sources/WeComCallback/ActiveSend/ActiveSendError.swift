/// Why an ``ActiveMessage`` cannot be turned into `message/send` requests.
public enum ActiveSendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `update_button`, `update_template_card`, `update_taskcard`: only valid as a passive reply to a
    /// card click.
    case passiveOnly(msgType: String)
    /// A send-API-only type `message/send` does not take for apps (`music`, `shortvideo`,
    /// `transfer_customer_service`).
    case unsupported(msgType: String)
    /// The ``ActiveOnlyReply/json`` is not a JSON object, or a field has the wrong shape.
    case invalidReply(String)

    /// One line for the log.
    public var description: String {
        switch self {
        case .passiveOnly(let type): return "\(type) is a passive-only reply; it cannot be sent actively"
        case .unsupported(let type): return "\(type) cannot be sent with message/send"
        case .invalidReply(let why): return "invalid reply object: \(why)"
        }
    }
}
