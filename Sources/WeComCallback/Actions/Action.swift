import Logging

/// What a matching route does: one type per `action = "…"`, in one file of this folder, registered once
/// in ``ActionRegistry``.
///
/// An action owns its configuration keys (``keys``), reads and validates them (``load(from:at:loader:)``,
/// reporting problems with their line numbers through the loader), and runs for a message. The
/// configuration schema and `check-config`'s list of known route keys are derived from the registry.
protocol Action: Sendable {
    /// The name in `action = "…"`.
    static var name: String { get }
    /// The route keys this action reads besides `action` (any other action's key is an error).
    static var keys: [String] { get }
    /// Reads the action from its route table.
    /// - Parameters:
    ///   - table: the `[[app.route]]` table.
    ///   - path: its key path (`app[0].route[2]`), for problems.
    ///   - loader: the configuration loader (typed reads, problems, the environment).
    /// - Returns: the action, or `nil` after reporting what was wrong.
    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> Self?

    /// Whether it may take long (a program): it then runs on a thread of its own beside the request,
    /// which waits for it at most until the reply budget ends.
    var runsBesideRequest: Bool { get }
    /// Runs the action for one message.
    /// - Returns: the reply, none, an active-only reply or a failure (with its `on_error` fallback).
    func run(for message: InboundMessage, context: ActionContext) -> ActionResult
    /// Whether `other` is the same action with the same settings.
    func isEqual(to other: any Action) -> Bool
    /// The `on_error` reply for a message, given when the action cannot run at all.
    func onErrorReply(for message: InboundMessage) -> PassiveReply?
}

extension Action {
    var runsBesideRequest: Bool { false }
    func onErrorReply(for message: InboundMessage) -> PassiveReply? { nil }
    /// The action's configured name.
    var name: String { Self.name }
}

extension Action where Self: Equatable {
    func isEqual(to other: any Action) -> Bool { (other as? Self) == self }
}

/// What an action may use besides the message.
struct ActionContext: Sendable {
    /// The app's configured name (`WECOM_APP`).
    var appName: String
    /// The route's index, for log lines.
    var routeIndex: Int
    /// For program stderr (debug).
    var logger: Logger
    /// Where program failures are counted, if anywhere.
    var metrics: ServiceMetrics?
    /// The ``ProgramSupervisor`` slot an action that runs beside the request runs in (it records the
    /// program's process group there), if any.
    var slot: ProgramSupervisor.Slot?
    /// The `llm` action's memory (``ServerRuntime/conversations``), if any.
    var conversations: (any ConversationStore)? = nil
    /// The app's temporary media API (`media/get`, `media/upload`), when it has a `corp_secret`.
    var media: MediaAPI? = nil
}

/// What running an action produced.
enum ActionResult: Sendable, Equatable {
    /// Send this passive reply.
    case reply(PassiveReply)
    /// Answer with an empty body.
    case noReply
    /// A reply only the active send API can deliver (markdown, textcard …); `fallback` is the
    /// `on_error` reply for an app without active send; `source` names what produced it, for the log.
    case activeOnly(ActiveOnlyReply, fallback: PassiveReply?, source: String = "")
    /// The action failed: log `reason` once; send `fallback` (the `on_error` reply) if there is one.
    case failed(reason: String, fallback: PassiveReply?)
}
