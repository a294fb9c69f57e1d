/// What an inbound message carries besides the common header: one case per `MsgType` (spec §8),
/// `event` for events (§9), `unknown` for anything else.
public enum MessagePayload: Sendable, Equatable {
    /// `text`: `Content`, exactly as sent (XML-illegal control characters included, see ``XMLReader``).
    case text(content: String)
    /// `image`: `PicUrl`, `MediaId` (valid 3 days).
    case image(picURL: String, mediaID: String)
    /// `voice`: `MediaId`, `Format` (`amr`, `speex`, …).
    case voice(mediaID: String, format: String)
    /// `video`: `MediaId`, `ThumbMediaId`.
    case video(mediaID: String, thumbMediaID: String)
    /// `location`: `Location_X` latitude, `Location_Y` longitude (degrees), `Scale` map zoom,
    /// `Label` address, `AppType` (`wxwork`, absent from the WeChat plugin).
    case location(latitude: Double, longitude: Double, scale: Int?, label: String, appType: String?)
    /// `link`: `Title`, `Description`, `Url`, `PicUrl`.
    case link(title: String, description: String, url: String, picURL: String)
    /// `event`: see ``InboundEvent``.
    case event(InboundEvent)
    /// Any other `MsgType`, as sent, with the whole field view (``InboundMessage/fields``).
    case unknown(msgType: String, fields: [String: String])
}
