extension BotPipeline {
    /// Answers a stream refresh from the store, at once (it never waits for the program): the stream's
    /// state as it is; an unknown or expired id gets a finished, empty stream and a log line.
    func refresh(_ message: BotMessage) -> ProcessingOutcome.Disposition {
        let id = message.streamID ?? ""
        if let stream = streams.read(id, now: clock()) {
            metrics?.botRefresh(app: botName, result: stream.finish ? "finished" : "open")
            return .reply(stream.reply.encoded())
        }
        metrics?.botRefresh(app: botName, result: "unknown")
        logger.notice("bot \(botName): refresh of unknown or expired stream id=\(LogText.sanitize(id, limit: 64)); answered finished and empty")
        return .reply(BotStream.finished(id: id, content: "").reply.encoded())
    }
}
