/// One `[[app.route]]`: conditions and an action.
public struct Route: Sendable, Equatable {
    /// The route's 0-based position in its app (`app[i].route[index]`), logged and journaled.
    public var index: Int
    /// When the route applies.
    public var conditions: RouteConditions
    /// What it does (one of ``ActionRegistry``'s actions).
    var action: any Action

    /// Creates a route.
    /// - Parameters:
    ///   - index: the 0-based position in the app's route list.
    ///   - conditions: when it applies (all `nil`: always).
    ///   - action: what it does.
    init(index: Int, conditions: RouteConditions = RouteConditions(), action: some Action) {
        self.index = index
        self.conditions = conditions
        self.action = action
    }

    /// Creates a route from an action of any registered type (the configuration loader).
    init(index: Int, conditions: RouteConditions, anyAction action: any Action) {
        self.index = index
        self.conditions = conditions
        self.action = action
    }

    public static func == (lhs: Route, rhs: Route) -> Bool {
        lhs.index == rhs.index && lhs.conditions == rhs.conditions && lhs.action.isEqual(to: rhs.action)
    }
}
