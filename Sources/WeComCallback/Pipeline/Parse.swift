extension MessagePipeline {
    /// What ``parse(_:)`` gives.
    enum Parsed {
        /// The message, to go on with.
        case message(InboundMessage)
        /// The outcome to answer with instead.
        case refused(ProcessingOutcome)
    }

    /// Stage 1: the plaintext XML as an ``InboundMessage``.
    ///
    /// An authenticated plaintext that does not parse is journaled (as base64, with the reason) and
    /// answered 200 empty with an error line: WeCom would only retry it.
    /// - Parameter plaintext: the decrypted bytes.
    func parse(_ plaintext: [UInt8]) -> Parsed {
        do {
            return .message(try InboundMessage(xml: plaintext))
        } catch {
            recordUnparsed(plaintext, error: "\(error)")
            return .refused(ProcessingOutcome(.failed("message parse failed: \(error)")))
        }
    }
}
