import Logging

/// What a matching `[[bot.route]]` does: one type per `action = "…"`, one file each in this folder,
/// registered once in ``BotActionRegistry`` (the bot twin of ``Action``).
protocol BotAction: Sendable {
    /// The name in `action = "…"`.
    static var name: String { get }
    /// The route keys this action reads besides `action`.
    static var keys: [String] { get }
    /// Reads the action from its route table, reporting problems through the loader.
    /// - Returns: the action, or `nil` after reporting what was wrong.
    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> Self?
    /// Answers one message (never a stream refresh; those are answered from the ``StreamStore``).
    func respond(to message: BotMessage, context: BotActionContext) -> BotActionResult
}

/// What a bot action may use besides the message.
struct BotActionContext: Sendable {
    /// The bot's configured name (`WECOM_BOT`).
    var botName: String
    /// The route's index, for log lines.
    var routeIndex: Int
    var logger: Logger
    /// Where the `llm` action's calls are counted, if anywhere.
    var metrics: ServiceMetrics? = nil
    /// The `llm` action's memory (``ServerRuntime/conversations``), if any.
    var conversations: (any ConversationStore)? = nil
    /// The bot's media key and limit (`exec` routes with `media = "download"`).
    var media: BotMedia? = nil
}

/// What a bot action answers.
enum BotActionResult: Sendable {
    /// This reply object (welcome text, template card, card update).
    case reply(JSONValue)
    /// One finished stream with this content (a message cannot get a plain text reply).
    case finishedStream(String)
    /// A stream fed by a program: opened now, written by `producer` on a program thread.
    case stream(any BotStreamProducer)
    /// An empty body.
    case none
}

/// Something that writes a stream beside the request (the `exec` action's program).
protocol BotStreamProducer: Sendable {
    /// Runs to the end on a ``ProgramSupervisor`` thread, writing output through `append`.
    /// - Parameters:
    ///   - message: the message.
    ///   - context: bot, route, logger.
    ///   - slot: where the program's process group is recorded.
    ///   - append: called with each chunk of output as it is read.
    /// - Returns: how the stream ends.
    func produce(for message: BotMessage, context: BotActionContext, slot: ProgramSupervisor.Slot,
                 append: @escaping @Sendable ([UInt8]) -> Void) -> BotStreamEnd
    /// The content of a stream whose program could not start (`on_error`, or empty).
    func refusedContent(for message: BotMessage) -> String
}

/// How a produced stream ends.
struct BotStreamEnd: Sendable {
    /// The final content when it replaces what was written (`on_error`, an `output = "json"` reply);
    /// `nil` keeps the output as written.
    var replacement: String?
    /// Everything written (for a late delivery through `response_url`).
    var output: [UInt8]
    /// The final reply's images.
    var images: [BotImage] = []
    /// A template card for the final reply.
    var card: JSONValue?
    /// Why it failed (logged once), if it did.
    var failure: String?
}
