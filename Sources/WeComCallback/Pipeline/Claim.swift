extension MessagePipeline {
    /// Stage 3: claims the message's delivery in the ``DeliveryStore``.
    ///
    /// The key is (app, `MsgId`), or (app, SHA-256 of the plaintext) for messages without one
    /// (``DeliveryKey``). The first arrival runs the action; a retry (on any thread, or any host sharing
    /// the store) never does.
    /// - Returns: `.first` or `.retry`, with the key the delivery is kept under.
    func claim(_ message: InboundMessage, plaintext: [UInt8], route: Route?, context: ProcessingContext) -> DeliveryClaim {
        let key = DeliveryKey(app: appName, msgID: message.msgID, plaintext: plaintext)
        let claim = deliveries.claim(key, route: route?.index, now: context.arrival)
        if case .retry = claim { counters?.dedupHit() }
        return claim
    }
}
