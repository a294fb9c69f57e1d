/// An app's routes, tried in order: the first whose every condition holds wins.
public struct Router: Sendable, Equatable {
    /// The routes in configuration order.
    public var routes: [Route]

    /// Creates a router.
    /// - Parameter routes: the routes in the order they are tried.
    public init(routes: [Route]) {
        self.routes = routes
    }

    /// The route for a message.
    /// - Parameter message: the parsed message.
    /// - Returns: the first matching route, or `nil` (no reply).
    public func route(for message: InboundMessage) -> Route? {
        routes.first { $0.conditions.matches(message) }
    }
}
