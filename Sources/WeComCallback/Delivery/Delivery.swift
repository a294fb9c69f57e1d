import Foundation

/// The shared state of one delivery (a message and its retries, spec §6.3–§6.4).
///
/// WeCom re-sends a message it got no answer for within 5 s, up to three more times. The first
/// arrival runs the action; retries never run it again. They either get the same reply content
/// (freshly encrypted by the caller), or wait for the first run while it is still going, or — once
/// the delivery has missed its reply budget — an empty 200, because the result then reaches the user
/// once, through the active send API.
///
/// A reference type with identity: every request of the delivery shares it. Its state is guarded by
/// an `NSCondition`, which also wakes the retries waiting for the first run.
public final class Delivery: @unchecked Sendable {
    /// Where a delivery stands.
    public enum State: Sendable, Equatable {
        /// The first arrival is still running the action.
        case running
        /// The action finished within the budget; its passive reply (or none).
        case answered(PassiveReply?)
        /// No answer was given within a reply budget; the result goes through active send (or is
        /// dropped and logged when the app has none). Every later arrival gets an empty 200.
        case missedBudget
    }

    /// Which route ran, for journaling retries (`nil`: none matched).
    public let route: Int?
    private let condition = NSCondition()
    private var state: State = .running  // guarded by `condition`
    private var failureReason: String?  // guarded by `condition`

    init(route: Int?) { self.route = route }

    /// The current state (a snapshot).
    public var current: State {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    /// Why the action failed without a reply, if it did (for the first arrival's log line).
    public var failure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failureReason
    }

    /// Records the action's result.
    /// - Parameters:
    ///   - reply: the passive reply, or `nil` for none.
    ///   - failure: why the action failed, when it failed without an `on_error` reply.
    /// - Returns: `true` when the result may still be answered passively; `false` when the delivery had
    ///   already missed its budget, so the caller must deliver it actively (or drop it).
    @discardableResult
    public func finish(_ reply: PassiveReply?, failure: String? = nil) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard case .running = state else { return false }
        state = .answered(reply)
        failureReason = failure
        condition.broadcast()
        return true
    }

    /// Waits until the action finished or `deadline` passed. At the deadline a still-running delivery
    /// becomes ``State/missedBudget`` (this arrival answers empty; the result goes out actively).
    /// - Parameter deadline: the arrival's reply budget, in wall-clock time.
    /// - Returns: the state this arrival answers with: `.answered` or `.missedBudget`.
    public func wait(until deadline: Date) -> State {
        condition.lock()
        defer { condition.unlock() }
        while case .running = state {
            if !condition.wait(until: deadline) {
                if case .running = state { state = .missedBudget }
            }
        }
        return state
    }
}
