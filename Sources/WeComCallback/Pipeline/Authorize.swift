extension MessagePipeline {
    /// Stage 2: a message for another agent of the corp is refused.
    ///
    /// When the app has an `agent_id` and the message carries a different `AgentID` → 403. Messages
    /// without an `AgentID` (system events such as `change_contact`) pass.
    /// - Returns: the refusal, or `nil` to go on.
    func authorize(_ message: InboundMessage) -> ProcessingOutcome.Disposition? {
        guard let agentID, let actual = message.agentID, actual != agentID else { return nil }
        return .forbidden("AgentID \(actual) is not this app's (\(agentID))")
    }
}
