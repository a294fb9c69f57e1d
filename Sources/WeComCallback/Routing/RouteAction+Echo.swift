extension RouteAction {
    /// The `echo` reply for a message.
    /// - Parameter message: the inbound message.
    /// - Returns: the echo, or `nil` for events and message types that cannot be echoed.
    static func echoReply(for message: InboundMessage) -> ReplyDraft? {
        switch message.payload {
        case .text(let content):
            return .text(content)
        case .image(_, let mediaID):
            return .image(mediaID: mediaID)
        case .voice(let mediaID, _):
            return .voice(mediaID: mediaID)
        case .video(let mediaID, _):
            return .video(mediaID: mediaID, title: nil, description: nil)
        case .location(_, _, _, let label, _):
            // The coordinates as sent, not reformatted through Double.
            let x = message.fields["Location_X"]?.trimmingASCIIWhitespace() ?? ""
            let y = message.fields["Location_Y"]?.trimmingASCIIWhitespace() ?? ""
            return .text("\(label) (\(x), \(y))")
        case .link(let title, _, let url, _):
            return .text("\(title)\n\(url)")
        case .event, .unknown:
            return nil
        }
    }
}
