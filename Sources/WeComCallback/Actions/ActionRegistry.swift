/// Every action the configuration knows: adding an action is one file and one line here.
enum ActionRegistry {
    /// The registered actions, in the order `check-config` lists them.
    static let all: [any Action.Type] = [
        EchoAction.self, TextAction.self, ImageAction.self, VoiceAction.self, VideoAction.self,
        NewsAction.self, UpdateButtonAction.self, IgnoreAction.self, ExecAction.self,
        LLMAction.self,
    ]

    /// The action registered under `name`, if any.
    static func action(named name: String) -> (any Action.Type)? {
        all.first { $0.name == name }
    }

    /// Every action name, in registry order.
    static var names: [String] { all.map { $0.name } }

    /// Every route key some action reads, without duplicates, in registry order.
    static var allKeys: [String] {
        var seen: Set<String> = []
        return all.flatMap { $0.keys }.filter { seen.insert($0).inserted }
    }
}
