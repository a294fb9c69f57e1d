import Foundation

/// The `echo` behaviour on its own: parse the message and answer with ``PassiveReply/echo(for:)``.
///
/// text → same text; image, voice, video → same MediaId; location → label and coordinates; link →
/// title and URL; events → no reply. A plaintext that does not parse is `.failed` (200, empty body).
public struct EchoProcessor: MessageProcessor {
    let now: @Sendable () -> Date

    /// - Parameter now: wall clock for the reply's `CreateTime` (Unix seconds).
    public init(now: @escaping @Sendable () -> Date = Date.init) { self.now = now }

    public func process(_ plaintext: [UInt8], context: ProcessingContext) -> ProcessingOutcome {
        let message: InboundMessage
        do {
            message = try InboundMessage(xml: plaintext)
        } catch {
            return ProcessingOutcome(.failed("message parse failed: \(error)"), summary: "unparsed")
        }
        let summary = message.event.map { "event/\($0)" } ?? message.msgType
        guard let reply = PassiveReply.echo(for: message) else {
            return ProcessingOutcome(.noReply, summary: summary, msgID: message.msgID)
        }
        let xml = reply.renderXML(
            toUser: message.fromUserName, fromUser: context.corpID, createTime: Int64(now().timeIntervalSince1970))
        return ProcessingOutcome(.reply(Array(xml.utf8)), summary: summary, msgID: message.msgID)
    }
}
