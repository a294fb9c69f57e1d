extension PassiveReply {
    /// The echo reply for a message: text → the same text; image, voice → the same `MediaId`;
    /// video → the same `MediaId` (no title); location → text `"<Label> (<Location_X>, <Location_Y>)"`
    /// with the coordinates as sent (trimmed); link → text `"<Title>\n<Url>"`.
    /// - Parameter message: an inbound message.
    /// - Returns: the reply, or `nil` for events and unknown types.
    public static func echo(for message: InboundMessage) -> PassiveReply? {
        switch message.payload {
        case .text(let content): return .text(content)
        case .image(_, let mediaID): return .image(mediaID: mediaID)
        case .voice(let mediaID, _): return .voice(mediaID: mediaID)
        case .video(let mediaID, _): return .video(mediaID: mediaID, title: nil, description: nil)
        case .location(let latitude, let longitude, _, let label, _):
            let x = message.fields["Location_X"]?.trimmingASCIIWhitespace() ?? String(latitude)
            let y = message.fields["Location_Y"]?.trimmingASCIIWhitespace() ?? String(longitude)
            return .text("\(label) (\(x), \(y))")
        case .link(let title, _, let url, _): return .text(title + "\n" + url)
        case .event, .unknown: return nil
        }
    }
}
