import Platform

extension MessagePipeline {
    /// Stage 2, with ``authorize(_:)``: a replay whose `timestamp` and `nonce` were exchanged is refused.
    ///
    /// `msg_signature` is SHA-1 over the *sorted* token, `timestamp`, `nonce` and `Encrypt` (spec §3), so
    /// exchanging the `timestamp` and `nonce` query values keeps a captured request validly signed. WeCom's
    /// nonce is a random decimal string: once the wall clock reaches a captured request's nonce read as
    /// Unix seconds, the exchanged request passes the replay window, long after the retry cache forgot
    /// the delivery, and its action would run again. The message's own `CreateTime`, inside the
    /// authenticated ciphertext, tells them apart: it lies near the signer's timestamp. A request whose
    /// `CreateTime` is outside the window around its `timestamp` but inside it around its `nonce` is
    /// such a replay. (A genuine random nonce lands that near `CreateTime` with odds of about 2 × window
    /// in 10¹⁰.) Off with the replay window, and for messages or nonces that are not numbers.
    /// - Returns: the refusal (403), or `nil` to go on.
    func checkSwappedTimestamp(_ message: InboundMessage, context: ProcessingContext) -> ProcessingOutcome.Disposition? {
        guard let window = context.replayWindow, let timestamp = Int64(context.timestamp),
              context.nonce.utf8.count <= 12, let nonce = Int64(context.nonce) else { return nil }
        let seconds = Int64(window.inSeconds.rounded(.down))
        let fromTimestamp = message.createTime.subtractingReportingOverflow(timestamp)
        let fromNonce = message.createTime.subtractingReportingOverflow(nonce)
        guard !fromTimestamp.overflow, !fromNonce.overflow,
              fromTimestamp.partialValue.magnitude > UInt64(seconds), fromNonce.partialValue.magnitude <= UInt64(seconds) else { return nil }
        return .forbidden("CreateTime is \(fromNonce.partialValue) s from the nonce but \(fromTimestamp.partialValue) s from the timestamp: a replay with timestamp and nonce exchanged")
    }
}
