/// Every bot action the configuration knows: adding one is one file and one line here.
enum BotActionRegistry {
    /// The registered actions, in the order `check-config` lists them.
    static let all: [any BotAction.Type] = [
        BotTextAction.self, BotTemplateCardAction.self, BotUpdateCardAction.self, BotEchoAction.self,
        BotExecAction.self, BotIgnoreAction.self,
        BotLLMAction.self,
    ]

    /// The action registered under `name`, if any.
    static func action(named name: String) -> (any BotAction.Type)? { all.first { $0.name == name } }

    /// Every action name, in registry order.
    static var names: [String] { all.map { $0.name } }

    /// Every route key some action reads, without duplicates.
    static var allKeys: [String] {
        var seen: Set<String> = []
        return all.flatMap { $0.keys }.filter { seen.insert($0).inserted }
    }
}
