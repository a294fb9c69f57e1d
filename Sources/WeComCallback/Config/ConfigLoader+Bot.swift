/// Loading `[[bot]]` tables (AI bots, spec `wecom-aibot.md`): same secret rules as apps (inline,
/// `*_env`, `*_file`), paths unique across apps and bots.
extension ConfigLoader {
    /// The `[[bot]]` tables of the document (problems reported for anything else).
    mutating func botTables(_ value: ConfigValue?) -> [[String: ConfigValue]] {
        switch value {
        case nil: return []
        case .array(let items)?:
            var tables: [[String: ConfigValue]] = []
            for (i, item) in items.enumerated() {
                if case .table(let t) = item { tables.append(t) } else { error("bot[\(i)]", "must be a table") }
            }
            return tables
        case .table?:
            error("bot", "must be an array of tables: write [[bot]], not [bot]")
        case let other?:
            error("bot", "must be an array of tables, not \(Self.article(other.typeName))")
        }
        return []
    }

    /// Loads every bot, checking names and paths against the apps' and each other's.
    /// - Parameters:
    ///   - tables: the `[[bot]]` tables.
    ///   - names: app names already taken (`app[i].name`), extended with the bots'.
    ///   - paths: normalised paths already taken, extended with the bots'.
    ///   - secretNames: every variable that may hold a secret (removed from programs' environment).
    /// - Returns: the bots that loaded without error.
    mutating func loadBots(_ tables: [[String: ConfigValue]], names: inout [String: String], paths: inout [String: String],
                           secretNames: Set<String>) -> [BotConfiguration] {
        var bots: [BotConfiguration] = []
        for (i, table) in tables.enumerated() {
            let bot = loadBot(table, index: i, secretNames: secretNames)
            if case .string(let name)? = table["name"] {
                if let first = names[name] {
                    error("bot[\(i)].name", "duplicate name \"\(name)\" (also \(first))")
                } else {
                    names[name] = "bot[\(i)].name"
                }
            }
            if case .string(let path)? = table["path"] {
                let normalised = CallbackApp.normalise(path)
                if let first = paths[normalised] {
                    error("bot[\(i)].path", "duplicate path \"\(normalised)\" (also \(first))")
                } else {
                    paths[normalised] = "bot[\(i)].path"
                }
            }
            if let bot { bots.append(bot) }
        }
        return bots
    }

    /// Every `*_env` variable a bot names for a secret.
    static func botSecretVariableNames(_ tables: [[String: ConfigValue]]) -> Set<String> {
        var names: Set<String> = []
        for table in tables {
            for secret in ConfigSchema.botSecrets {
                if case .string(let name)? = table[secret + "_env"] { names.insert(name) }
            }
        }
        return names
    }

    mutating func loadBot(_ table: [String: ConfigValue], index: Int, secretNames: Set<String>) -> BotConfiguration? {
        let path = "bot[\(index)]"
        let before = problems.count
        checkKeys(table, at: path, allowed: ConfigSchema.bot)

        let name = callbackName(table, at: path)
        let botPath = callbackPath(table, at: path, missing: "a bot needs its own path")
        let token = secret("token", in: table, at: path, oneApp: false)
        let key = secret("encoding_aes_key", in: table, at: path, oneApp: false)
        checkToken(token, at: path)
        if let key { _ = checkEncodingAESKey(key, token: token, receiveID: "", at: path) }
        let aibotID = string(table, "aibot_id", at: path)
        if let aibotID, aibotID.isEmpty { error("\(path).aibot_id", "must not be empty (leave it out to accept any)") }
        let journal = string(table, "journal", at: path).map(absolute)
        if let journal { checkJournal(journal, at: "\(path).journal") }

        let routes = loadRoutes(table, at: path, header: "[[bot.route]]", secretNames: secretNames) { loader, t, j, routePath, base in
            loader.loadBotRoute(t, index: j, at: routePath, baseEnvironment: base)
        }
        guard problems[before...].allSatisfy({ $0.severity == .warning }), let name, let botPath, let token, let key else { return nil }
        return BotConfiguration(name: name, path: botPath, token: token, encodingAESKey: key, aibotID: aibotID,
                                journalPath: journal, routes: routes)
    }

    mutating func loadBotRoute(_ table: [String: ConfigValue], index: Int, at path: String, baseEnvironment: [String: String]) -> BotRoute? {
        let before = problems.count
        checkKeys(table, at: path, allowed: ConfigSchema.botRoute)
        var conditions = BotRouteConditions()
        conditions.msgType = string(table, "msg_type", at: path)
        if let type = conditions.msgType, !ConfigSchema.botMessageTypes.contains(type) {
            let suggestion = EditDistance.suggestion(for: type, among: ConfigSchema.botMessageTypes)
            error("\(path).msg_type", "unknown bot message type \"\(type)\"" + (suggestion.map { "; did you mean \"\($0)\"?" }
                ?? " (one of \(ConfigSchema.botMessageTypes.joined(separator: ", ")))"))
        }
        conditions.event = string(table, "event", at: path)
        if let event = conditions.event, !ConfigSchema.botEvents.contains(event) {
            let suggestion = EditDistance.suggestion(for: event, among: ConfigSchema.botEvents)
            warning("\(path).event", "unknown bot event \"\(event)\"" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? ""))
        }
        conditions.eventKey = string(table, "event_key", at: path)
        conditions.eventKeyRegex = pattern(table, "event_key_regex", at: path)
        conditions.contentRegex = pattern(table, "content_regex", at: path)
        conditions.chatType = string(table, "chat_type", at: path)
        if let chatType = conditions.chatType, !["single", "group"].contains(chatType) {
            error("\(path).chat_type", "must be \"single\" or \"group\"")
        }
        conditions.fromUser = stringArray(table, "from_user", at: path)
        conditions.chatID = stringArray(table, "chat_id", at: path)
        if let type = conditions.msgType {
            for key in ["event", "event_key", "event_key_regex"] where table[key] != nil && type != "event" {
                error("\(path).\(key)", "needs msg_type = \"event\" (this route has msg_type = \"\(type)\")")
            }
            if table["content_regex"] != nil, !["text", "voice", "mixed"].contains(type) {
                error("\(path).content_regex", "needs msg_type text, voice or mixed (this route has msg_type = \"\(type)\")")
            }
        }
        self.baseEnvironment = baseEnvironment
        let action: (any BotAction)? = loadAction(table, at: path, noun: "bot action", names: BotActionRegistry.names,
                                                 allKeys: BotActionRegistry.allKeys) { name in
            guard let type = BotActionRegistry.action(named: name) else { return nil }
            return (type.keys, { (loader: inout ConfigLoader) in type.load(from: table, at: path, loader: &loader) })
        }
        guard problems[before...].allSatisfy({ $0.severity == .warning }), let action else { return nil }
        return BotRoute(index: index, conditions: conditions, action: action)
    }
}
