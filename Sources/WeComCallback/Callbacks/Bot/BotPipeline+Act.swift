import Foundation

extension BotPipeline {
    /// Runs the first arrival's answer and remembers it for retries.
    /// - Parameters:
    ///   - route: the matching route, if any.
    ///   - message: the message.
    ///   - key: the claimed delivery.
    ///   - arrival: when it arrived (monotonic): streams live ``streamLifetime`` from here.
    /// - Returns: the answer given.
    func act(_ route: BotRoute?, message: BotMessage, key: DeliveryKey, arrival: ContinuousClock.Instant) -> BotAnswer {
        let answer = answer(route, message: message, key: key, arrival: arrival)
        if case .stream = answer { return answer }  // `open` remembered it
        streams.remember(answer, forMessage: key, now: arrival, lifetime: streamLifetime)
        return answer
    }

    private func answer(_ route: BotRoute?, message: BotMessage, key: DeliveryKey, arrival: ContinuousClock.Instant) -> BotAnswer {
        if message.eventType == "feedback_event" {
            let type = message.json.value(at: "event/feedback_event/type").map { value -> String in
                if case .int(let i) = value { return String(i) }
                return value.stringValue.map { LogText.sanitize($0, limit: 8) } ?? "-"
            } ?? "-"
            metrics?.botFeedback(app: botName, type: type)
            return .none
        }
        if !message.isUserMessage && message.msgType != "event" {
            logger.notice("bot \(botName): unknown msgtype \(LogText.sanitize(message.msgType, limit: 64)) journaled, no reply")
            return .none
        }
        guard let route else { return .none }
        let context = BotActionContext(botName: botName, routeIndex: route.index, logger: logger, metrics: metrics,
                                       conversations: conversations, media: media)
        switch route.action.respond(to: message, context: context) {
        case .none:
            return .none
        case .reply(let object):
            return .reply(object)
        case .finishedStream(let content):
            guard let id = BotStream.newID() else { return .none }
            streams.open(BotStream.finished(id: id, content: content), forMessage: key, now: arrival, lifetime: streamLifetime)
            metrics?.botStreamFinished(after: clock() - arrival)
            return .stream(id)
        case .stream(let producer):
            guard let id = BotStream.newID() else { return .none }
            streams.open(BotStream(id: id, responseURL: message.responseURL), forMessage: key, now: arrival, lifetime: streamLifetime)
            let job = StreamJob(pipeline: self, producer: producer, message: message, context: context, id: id, arrival: arrival)
            if programs.start({ slot in job.run(in: slot) }) {
                metrics?.botProgramStarted(app: botName)
            } else {
                counters?.programRefused()
                logger.warning("program refused bot=\(botName) route=\(route.index) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)): \(programs.isShuttingDown ? "shutting down" : "max_programs=\(programs.limit) already running"); stream ended with on_error")
                streams.replaceContent(Array(producer.refusedContent(for: message).utf8), of: id)
                _ = streams.finish(id, images: [], card: nil, now: clock())
            }
            return .stream(id)
        }
    }

    /// A program feeding one stream, on a ``ProgramSupervisor`` thread.
    struct StreamJob: Sendable {
        let pipeline: BotPipeline
        let producer: any BotStreamProducer
        let message: BotMessage
        let context: BotActionContext
        let id: String
        let arrival: ContinuousClock.Instant

        func run(in slot: ProgramSupervisor.Slot) {
            let streams = pipeline.streams, id = self.id
            let end = producer.produce(for: message, context: context, slot: slot) { chunk in streams.append(chunk, to: id) }
            if let failure = end.failure {
                pipeline.logger.error("bot stream failed bot=\(pipeline.botName) route=\(context.routeIndex) msgid=\(LogText.sanitize(message.msgID ?? "-", limit: 64)) error=\"\(LogText.sanitize(failure))\"; sent on_error")
            }
            if let replacement = end.replacement { streams.replaceContent(Array(replacement.utf8), of: id) }
            let finishedAt = pipeline.clock()
            if streams.finish(id, images: end.images, card: end.card, now: finishedAt) != nil {
                pipeline.metrics?.botStreamFinished(after: finishedAt - arrival)
                return
            }
            // WeCom no longer refreshes this stream: the result goes once to response_url.
            pipeline.deliverLate(end.replacement ?? String(decoding: end.output, as: UTF8.self), message: message)
        }
    }

    /// Sends a result nobody can refresh any more to the message's `response_url`, once, as markdown.
    func deliverLate(_ content: String, message: BotMessage) {
        let msgid = LogText.sanitize(message.msgID ?? "-", limit: 64)
        guard let url = message.responseURL, !url.isEmpty else {
            metrics?.botLateResult(app: botName, result: "dropped")
            logger.warning("late bot result dropped bot=\(botName) msgid=\(msgid): the message has no response_url")
            return
        }
        if let problem = responseURL.post(responseURLMarkdown(content), to: url) {
            metrics?.botLateResult(app: botName, result: "failed")
            logger.error("late bot result not delivered bot=\(botName) msgid=\(msgid): \(problem)")
        } else {
            metrics?.botLateResult(app: botName, result: "sent")
            logger.info("late bot result sent to response_url bot=\(botName) msgid=\(msgid)")
        }
    }
}
