extension MessagePipeline {
    /// Stage 4: appends the message to the app's journal, if it has one (its JSON form is built only
    /// then). A failed write is logged at error and counted; the reply still goes out.
    /// - Parameters:
    ///   - message: the message.
    ///   - route: the index of the route that ran (for a retry: the first arrival's).
    ///   - retry: whether this arrival is a retry (`"retry":true` in the line).
    func record(_ message: InboundMessage, route: Int?, retry: Bool) {
        guard let journal else { return }
        do {
            try journal.append(app: appName, route: route, messageJSON: message.jsonData(), receivedAt: now(), retry: retry)
        } catch {
            counters?.journalFailure()
            logger.error("journal write failed app=\(appName) error=\"\(error)\" failures=\(journal.failureCount)")
        }
    }

    /// Journals an authenticated message that could not be parsed (as base64, with the reason).
    func recordUnparsed(_ plaintext: [UInt8], error reason: String) {
        guard let journal else { return }
        do {
            try journal.appendUnparsed(app: appName, error: reason, plaintext: plaintext, receivedAt: now())
        } catch {
            counters?.journalFailure()
            logger.error("journal write failed app=\(appName) error=\"\(error)\" failures=\(journal.failureCount)")
        }
    }
}
