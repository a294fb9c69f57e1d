/// One `[[app.route]]`: conditions and an action.
public struct Route: Sendable, Equatable {
    /// The route's 0-based position in its app (`app[i].route[index]`), logged and journaled.
    public var index: Int
    /// When the route applies.
    public var conditions: RouteConditions
    /// What it does.
    public var action: RouteAction

    /// Creates a route.
    /// - Parameters:
    ///   - index: the 0-based position in the app's route list.
    ///   - conditions: when it applies (all `nil`: always).
    ///   - action: what it does.
    public init(index: Int, conditions: RouteConditions = RouteConditions(), action: RouteAction) {
        self.index = index
        self.conditions = conditions
        self.action = action
    }
}
