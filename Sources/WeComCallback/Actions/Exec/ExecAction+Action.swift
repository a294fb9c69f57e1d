import Logging

/// `exec` as a registered ``Action``: its keys, their validation and how it runs (the program itself:
/// ``ExecAction``, ``ExecRunner``).
extension ExecAction: Action {
    static let name = "exec"
    static let keys = ["command", "timeout_ms", "on_error", "media"]
    /// The largest `timeout_ms`.
    static let maxTimeoutMS = 60000

    var runsBesideRequest: Bool { true }

    func onErrorReply(for message: InboundMessage) -> PassiveReply? { fallbackReply(for: message) }

    func run(for message: InboundMessage, context: ActionContext) -> ActionResult {
        let (result, stderr) = perform(message: message, json: message.jsonData(), appName: context.appName,
                                       metrics: context.metrics, slot: context.slot, media: context.media)
        if !stderr.isEmpty { context.logger.debug("exec stderr app=\(context.appName) route=\(context.routeIndex): \(stderr)") }
        return result
    }

    static func load(from table: [String: ConfigValue], at path: String, loader: inout ConfigLoader) -> ExecAction? {
        guard let (command, executable) = loader.programCommand(table, at: path, action: name) else { return nil }
        var timeout = ExecAction.defaultTimeoutMS
        if let ms = loader.integer(table, "timeout_ms", at: path) {
            if (1...maxTimeoutMS).contains(ms) {
                timeout = ms
                // With active send a late result still reaches the user; without it, it is dropped.
                if ms > loader.replyBudgetMS && !loader.appNamesCorpSecret {
                    loader.warning("\(path).timeout_ms", "\(ms) ms is more than reply_budget_ms (\(loader.replyBudgetMS)): without corp_secret a result later than that is dropped")
                }
            } else {
                loader.error("\(path).timeout_ms", "must be between 1 and \(maxTimeoutMS)")
            }
        }
        let onError = loader.template(table, "on_error", at: path)
        let download = loader.mediaMode(table, at: path, needsCorpSecret: true)
        guard let resolved = executable else { return nil }
        var action = ExecAction(command: command, executable: resolved, timeoutMS: timeout, onError: onError, baseEnvironment: loader.baseEnvironment)
        action.downloadMedia = download
        return action
    }
}

extension Action where Self == ExecAction {
    /// `exec` with these settings.
    static func exec(_ action: ExecAction) -> ExecAction { action }
}
