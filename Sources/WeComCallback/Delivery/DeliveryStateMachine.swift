/// The rules of one delivery — a message and WeCom's retries of it (spec §6.3–§6.4) — as a value.
///
/// WeCom re-sends a message it got no answer for within 5 s, up to three more times. The first arrival
/// runs the action; retries never run it again. The machine decides, from plain events, what each
/// arrival answers and what happens to the action's result; it does nothing itself (the shape of
/// async-http-client's `RequestBag.StateMachine`). ``InMemoryDeliveryStore`` keeps one per delivery key
/// and carries out its decisions; a shared store keeps the same states.
///
/// ```
/// running ──actionFinished──▶ answered(reply)        every arrival answers with the reply
///    │
///    └──budgetEnded──▶ missedBudget ──actionFinished──▶ deliveredLate (the result goes by active send)
///                        every arrival answers empty
/// ```
public struct DeliveryStateMachine: Sendable, Equatable {
    /// Where a delivery stands.
    public enum State: Sendable, Equatable {
        /// The first arrival is running the action.
        case running
        /// The action finished while an arrival could still answer: its passive reply (or none), and
        /// why it failed when it failed without an `on_error` reply.
        case answered(PassiveReply?, failure: String?)
        /// No arrival could wait any longer: every arrival answers empty; the result, when it comes, goes
        /// out through the active send API (or is dropped when the app has none).
        case missedBudget
        /// The result of a delivery that had missed its budget has been handed on.
        case deliveredLate
    }

    /// What an arrival that has to answer now answers.
    public enum Answer: Sendable, Equatable {
        /// The action's passive reply (`nil`: an empty 200), and its failure reason for the log, if any.
        case reply(PassiveReply?, failure: String?)
        /// An empty 200: the budget was missed; the result goes (or went) out actively.
        case missedBudget
    }

    /// What to do with the action's result when it arrives.
    public enum FinishAction: Sendable, Equatable {
        /// Wake the arrivals waiting for it: they answer with it.
        case answerWaitingArrivals
        /// Nobody can answer passively any more: send this result through the active send API.
        case deliverLate(PassiveReply?, failure: String?)
        /// The delivery already has a result (a second finish is a programming error; ignored).
        case ignore
    }

    /// The current state.
    public private(set) var state: State = .running

    /// A new delivery whose first arrival is about to run its action.
    public init() {}

    /// A machine in a given state (tests, and stores that load a state).
    public init(state: State) { self.state = state }

    /// The answer an arrival gives if it answers now, or `nil` while the action is still running (the
    /// arrival waits, until ``budgetEnded()`` at the latest).
    public var answer: Answer? {
        switch state {
        case .running: return nil
        case .answered(let reply, let failure): return .reply(reply, failure: failure)
        case .missedBudget, .deliveredLate: return .missedBudget
        }
    }

    /// Whether the first arrival's action has not finished yet (running, or running past the budget).
    public var isActionRunning: Bool {
        switch state {
        case .running, .missedBudget: return true
        case .answered, .deliveredLate: return false
        }
    }

    /// The action finished with `reply` (or none) and, when it failed without an `on_error` reply,
    /// `failure`.
    /// - Returns: whether waiting arrivals answer with it, or it goes out actively.
    public mutating func actionFinished(reply: PassiveReply?, failure: String?) -> FinishAction {
        switch state {
        case .running:
            state = .answered(reply, failure: failure)
            return .answerWaitingArrivals
        case .missedBudget:
            state = .deliveredLate
            return .deliverLate(reply, failure: failure)
        case .answered, .deliveredLate:
            return .ignore
        }
    }

    /// An arrival's reply budget ended while it waited.
    /// - Returns: what that arrival answers: the result if it came just in time, else empty (and the
    ///   delivery has missed its budget from now on).
    public mutating func budgetEnded() -> Answer {
        if case .running = state { state = .missedBudget }
        return answer ?? .missedBudget
    }
}
