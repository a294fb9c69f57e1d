import Foundation
import Logging
import TOMLKit

/// Validates a TOML document into a ``Configuration``, collecting every problem instead of stopping
/// at the first. Reads files and the environment; writes and opens nothing.
struct ConfigLoader {
    let text: String
    let baseDirectory: String
    let environment: [String: String]
    private(set) var problems: [ConfigProblem] = []
    /// Whether the app being loaded names a `corp_secret`, `corp_secret_env` or `corp_secret_file`, usable
    /// or not (a missing variable is reported once, at the key, not again by every route that needs it).
    var appNamesCorpSecret = false
    /// `[server] reply_budget_ms`: a program or model answering later than this needs active send.
    var replyBudgetMS = ServerSettings.defaultReplyBudgetMS
    /// The environment programs of the app being loaded start from (secrets removed).
    var baseEnvironment: [String: String] = [:]
    private var locator: SourceLocator

    init(text: String, baseDirectory: String, environment: [String: String]) {
        self.text = text
        self.baseDirectory = baseDirectory
        self.environment = environment
        self.locator = SourceLocator(text: text)
    }

    // MARK: Problems

    mutating func error(_ keyPath: String, _ message: String) {
        problems.append(ConfigProblem(.error, keyPath, message, line: locator.line(of: keyPath)))
    }

    mutating func warning(_ keyPath: String, _ message: String) {
        problems.append(ConfigProblem(.warning, keyPath, message, line: locator.line(of: keyPath)))
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Reports every key of `table` that is not in `allowed`.
    mutating func checkKeys(_ table: [String: ConfigValue], at path: String, allowed: [String]) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            let suggestion = EditDistance.suggestion(for: key, among: allowed)
            error(Self.join(path, key), "unknown key" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? ""))
        }
    }

    // MARK: Typed reads (nil when absent or of the wrong type; the latter is reported)

    mutating func string(_ table: [String: ConfigValue], _ key: String, at path: String) -> String? {
        switch table[key] {
        case nil: return nil
        case .string(let s)?: return s
        case let other?:
            error(Self.join(path, key), "must be a string, not \(Self.article(other.typeName))")
            return nil
        }
    }

    mutating func integer(_ table: [String: ConfigValue], _ key: String, at path: String) -> Int? {
        switch table[key] {
        case nil: return nil
        case .integer(let i)?: return i
        case let other?:
            error(Self.join(path, key), "must be an integer, not \(Self.article(other.typeName))")
            return nil
        }
    }

    /// An integer that must lie in `range`; outside it, an error "must be between LOW and HIGH".
    /// - Parameters:
    ///   - zeroIsOff: the message says "0 (off)" for the lower bound.
    ///   - note: appended to the message (a unit, a reason).
    mutating func integer(_ table: [String: ConfigValue], _ key: String, at path: String, in range: ClosedRange<Int>,
                          zeroIsOff: Bool = false, note: String = "") -> Int? {
        guard let value = integer(table, key, at: path) else { return nil }
        guard range.contains(value) else {
            let low = zeroIsOff && range.lowerBound == 0 ? "0 (off)" : String(range.lowerBound)
            error(Self.join(path, key), "must be between \(low) and \(range.upperBound)\(note)")
            return nil
        }
        return value
    }

    /// `command` of an action that runs a program: argv (no shell), `command[0]` resolved in `PATH` (or
    /// against the configuration's directory when it holds a `/`).
    /// - Returns: `nil` when `command` is missing or malformed (reported; stop there); else the argv and the
    ///   resolved executable, `nil` when it cannot be found (reported; the other keys are still checked).
    mutating func programCommand(_ table: [String: ConfigValue], at path: String, action: String) -> (command: [String], executable: String?)? {
        let keyPath = "\(path).command"
        guard table["command"] != nil else {
            error(keyPath, "missing (action \"\(action)\" needs it)")
            return nil
        }
        guard let command = stringArray(table, "command", at: path) else { return nil }
        guard let program = command.first, !program.isEmpty else {
            error(keyPath, "must be a non-empty array of strings (argv; no shell)")
            return nil
        }
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let resolved = ExecRunner.resolve(program.hasPrefix("/") || !program.contains("/") ? program : absolute(program), path: searchPath)
        if resolved == nil {
            error("\(keyPath)[0]", program.contains("/")
                ? "\(program) does not exist or is not an executable file"
                : "\(program) not found in PATH or not executable")
        }
        return (command, resolved)
    }

    /// `media` of an `exec` route: `"download"` (the message's media is fetched before the program
    /// starts) or `"none"` (the default).
    /// - Parameter needsCorpSecret: for apps: `media/get` needs the app's `corp_secret` (an error without).
    /// - Returns: whether media are downloaded.
    mutating func mediaMode(_ table: [String: ConfigValue], at path: String, needsCorpSecret: Bool) -> Bool {
        guard let mode = string(table, "media", at: path) else { return false }
        switch mode {
        case "none": return false
        case "download":
            if needsCorpSecret && !appNamesCorpSecret {
                error("\(path).media", "\"download\" fetches media through the WeCom API (media/get): give the app corp_secret, corp_secret_env or corp_secret_file")
            }
            return true
        default:
            error("\(path).media", "must be \"download\" or \"none\"")
            return false
        }
    }

    /// `action = "…"` of a route, resolved through a registry: unknown names get a did-you-mean, keys of other
    /// actions are refused ("not used by action"), and the action loads its own keys.
    /// - Parameters:
    ///   - noun: "action" or "bot action", for the unknown-name message.
    ///   - names: every registered name; `allKeys`: every key any registered action reads.
    ///   - lookup: for a name, the action's keys and its loader, or `nil` when it is not registered.
    /// - Returns: the loaded action, or `nil` after reporting what was wrong.
    mutating func loadAction<Loaded>(_ table: [String: ConfigValue], at path: String, noun: String, names: [String], allKeys: [String],
                                     lookup: (String) -> (keys: [String], load: (inout ConfigLoader) -> Loaded?)?) -> Loaded? {
        guard let name = string(table, "action", at: path) else {
            if table["action"] == nil { error("\(path).action", "missing") }
            return nil
        }
        guard let (keys, load) = lookup(name) else {
            let suggestion = EditDistance.suggestion(for: name, among: names)
            error("\(path).action", "unknown \(noun) \"\(name)\"" + (suggestion.map { "; did you mean \"\($0)\"?" }
                ?? " (one of \(names.joined(separator: ", ")))"))
            return nil
        }
        for key in allKeys where table[key] != nil && !keys.contains(key) {
            error("\(path).\(key)", "not used by action \"\(name)\"")
        }
        return load(&self)
    }

    /// `route` of an app or bot: each `[[….route]]` table loaded by `load` with the environment programs start
    /// from (the server's, without any secret).
    /// - Returns: the routes that loaded (the others are reported).
    mutating func loadRoutes<R>(_ table: [String: ConfigValue], at path: String, header: String, secretNames: Set<String>,
                                _ load: (inout ConfigLoader, [String: ConfigValue], Int, String, [String: String]) -> R?) -> [R] {
        var routes: [R] = []
        switch table["route"] {
        case nil:
            warning("\(path).route", "no routes: no message gets a reply")
        case .array(let items)?:
            var base = environment
            for name in secretNames { base[name] = nil }
            for (j, item) in items.enumerated() {
                guard case .table(let t) = item else {
                    error("\(path).route[\(j)]", "must be a table")
                    continue
                }
                if let route = load(&self, t, j, "\(path).route[\(j)]", base) { routes.append(route) }
            }
        case let other?:
            error("\(path).route", "must be an array of tables (\(header)), not \(Self.article(other.typeName))")
        }
        return routes
    }

    mutating func stringArray(_ table: [String: ConfigValue], _ key: String, at path: String) -> [String]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else {
            error(Self.join(path, key), "must be an array of strings, not \(Self.article(value.typeName))")
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                error("\(Self.join(path, key))[\(i)]", "must be a string, not \(Self.article(item.typeName))")
                return nil
            }
            out.append(s)
        }
        return out
    }

    mutating func template(_ table: [String: ConfigValue], _ key: String, at path: String) -> MessageTemplate? {
        guard let source = string(table, key, at: path) else { return nil }
        do {
            return try MessageTemplate(source)
        } catch {
            self.error(Self.join(path, key), error.description)
            return nil
        }
    }

    mutating func pattern(_ table: [String: ConfigValue], _ key: String, at path: String) -> RoutePattern? {
        guard let source = string(table, key, at: path) else { return nil }
        do {
            return try RoutePattern(source)
        } catch {
            self.error(Self.join(path, key), error.description)
            return nil
        }
    }

    static func article(_ typeName: String) -> String {
        ("aeiou".contains(typeName.first ?? "x") ? "an " : "a ") + typeName
    }

    /// A path from the file, taken relative to the configuration file's directory.
    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
    }

    // MARK: Document

    mutating func load(source: String) -> Configuration? {
        guard text.utf8.count <= Configuration.maxFileBytes else {
            error("", "file larger than \(Configuration.maxFileBytes) bytes")
            return nil
        }
        // Before toml++ sees it: toml++ recurses once per level of dotted keys and headers.
        if let line = TOMLDepth.firstLine(deeperThan: ConfigValue.maxDepth, in: text) {
            problems.append(ConfigProblem(.error, "", "nested deeper than \(ConfigValue.maxDepth) levels", line: line))
            return nil
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            problems.append(ConfigProblem(.error, "", "TOML syntax error: \(error.description)",
                                          line: error.source.begin.line, column: error.source.begin.column))
            return nil
        } catch {
            problems.append(ConfigProblem(.error, "", "TOML syntax error"))
            return nil
        }
        // TOMLKit's `TOMLTable` never frees its toml++ tree (it has no `deinit`), so each load (every
        // SIGHUP) would keep the whole parsed document: empty it once it is converted, on every path.
        defer { document.clear() }
        let converted: ConfigValue
        do {
            converted = try ConfigValue.from(table: document)
        } catch {
            let path = error.keyPath.count > 200 ? error.keyPath.prefix(200) + "…" : error.keyPath
            problems.append(ConfigProblem(.error, String(path), "nested deeper than \(ConfigValue.maxDepth) levels"))
            return nil
        }
        guard case .table(let root) = converted else { return nil }
        checkKeys(root, at: "", allowed: ConfigSchema.topLevel)

        let server = loadServer(root["server"])
        replyBudgetMS = server.replyBudgetMS
        let cluster = loadCluster(root["cluster"])
        var appTables: [[String: ConfigValue]] = []
        switch root["app"] {
        case nil:
            if root["bot"] == nil { error("", "no [[app]] or [[bot]] table: at least one app or bot is required") }
        case .array(let items)?:
            for (i, item) in items.enumerated() {
                if case .table(let t) = item { appTables.append(t) } else { error("app[\(i)]", "must be a table") }
            }
            if items.isEmpty && root["bot"] == nil { error("app", "at least one app is required") }
        case .table?:
            error("app", "must be an array of tables: write [[app]], not [app]")
        case let other?:
            error("app", "must be an array of tables, not \(Self.article(other.typeName))")
        }

        let botTables = botTables(root["bot"])
        let secretNames = secretVariableNames(appTables).union(Self.botSecretVariableNames(botTables))
        var apps: [AppConfiguration] = []
        var names: [String: Int] = [:]
        var paths: [String: Int] = [:]
        for (i, table) in appTables.enumerated() {
            // With bots beside it, a lone app needs a path too (it would answer the bots' paths).
            let app = loadApp(table, index: i, count: appTables.count + botTables.count, secretNames: secretNames)
            if case .string(let name)? = table["name"] {
                if let first = names[name] {
                    error("app[\(i)].name", "duplicate name \"\(name)\" (also app[\(first)].name)")
                } else {
                    names[name] = i
                }
            }
            if case .string(let path)? = table["path"] {
                let normalised = CallbackApp.normalise(path)
                if let first = paths[normalised] {
                    error("app[\(i)].path", "duplicate path \"\(normalised)\" (also app[\(first)].path)")
                } else {
                    paths[normalised] = i
                }
            }
            if let app { apps.append(app) }
        }
        var takenNames = names.mapValues { "app[\($0)].name" }
        var takenPaths = paths.mapValues { "app[\($0)].path" }
        let bots = loadBots(botTables, names: &takenNames, paths: &takenPaths, secretNames: secretNames)
        guard apps.count == appTables.count, bots.count == botTables.count, !(appTables.isEmpty && botTables.isEmpty) else { return nil }
        var configuration = Configuration(source: source, server: server, apps: apps, bots: bots,
                                          warnings: problems.filter { $0.severity == .warning })
        configuration.cluster = cluster
        return configuration
    }

    mutating func loadServer(_ value: ConfigValue?) -> ServerSettings {
        var settings = ServerSettings()
        guard let value else { return settings }
        guard case .table(let table) = value else {
            error("server", "must be a table, not \(Self.article(value.typeName))")
            return settings
        }
        checkKeys(table, at: "server", allowed: ConfigSchema.server)
        if let bytes = integer(table, "max_body_bytes", at: "server", in: 1024...(64 << 20)) {
            settings.maxBodyBytes = bytes
        }
        if let budget = integer(table, "reply_budget_ms", at: "server", in: 100...ServerSettings.maxReplyBudgetMS,
                                note: " (WeCom waits 5 s)") {
            settings.replyBudgetMS = budget
        }
        if let entries = integer(table, "dedup_entries", at: "server", in: 0...10_000_000, zeroIsOff: true) {
            settings.dedupEntries = entries
        }
        if let ttl = integer(table, "dedup_ttl_s", at: "server", in: 1...86_400, note: " seconds") {
            settings.dedupTTLSeconds = ttl
        }
        if let skew = integer(table, "max_timestamp_skew_s", at: "server", in: 0...86_400, zeroIsOff: true, note: " seconds") {
            settings.maxTimestampSkewSeconds = skew
        }
        if let programs = integer(table, "max_programs", at: "server", in: 1...ServerSettings.maxMaxPrograms) {
            settings.maxPrograms = programs
            settings.maxProgramsIsExplicit = true
        }
        if let bytes = integer(table, "max_media_bytes", at: "server", in: 1024...ServerSettings.maxMaxMediaBytes, note: " bytes") {
            settings.maxMediaBytes = bytes
        }
        if let path = string(table, "status_path", at: "server") {
            if path.hasPrefix("/") && !path.contains("?") {
                settings.statusPath = path
            } else {
                error("server.status_path", "must be a path starting with / (e.g. \"/wecom-fcgi/metrics\")")
            }
        }
        if let allow = stringArray(table, "status_allow", at: "server") {
            settings.statusAllow = allow
        }
        if let level = string(table, "log_level", at: "server") {
            if let parsed = Logger.Level(rawValue: level), ConfigSchema.logLevels.contains(level) {
                settings.logLevel = parsed
            } else {
                error("server.log_level", "unknown log level \"\(level)\" (one of \(ConfigSchema.logLevels.joined(separator: ", ")))")
            }
        }
        return settings
    }

    /// `name` of an `[[app]]` or `[[bot]]` table: required, non-empty, without spaces or control characters.
    mutating func callbackName(_ table: [String: ConfigValue], at path: String) -> String? {
        let name = string(table, "name", at: path)
        if table["name"] == nil {
            error("\(path).name", "missing")
        } else if let name, name.isEmpty || name.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) {
            error("\(path).name", "must be non-empty, without spaces or control characters")
        }
        return name
    }

    /// `path` of an `[[app]]` or `[[bot]]` table: starts with `/`; when absent, `missing` (if given) is the problem.
    mutating func callbackPath(_ table: [String: ConfigValue], at path: String, missing: String?) -> String? {
        let value = string(table, "path", at: path)
        if let value, !value.hasPrefix("/") {
            error("\(path).path", "must start with \"/\"")
        } else if table["path"] == nil, let missing {
            error("\(path).path", "missing: " + missing)
        }
        return value
    }

    /// The Token's form (wecom-callback.md §2): 1 to 32 ASCII letters or digits.
    mutating func checkToken(_ token: String?, at path: String) {
        if let token, !(1...32).contains(token.count) || !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            error("\(path).token", "must be 1 to 32 letters or digits")
        }
    }

    /// The EncodingAESKey (wecom-callback.md §2): exactly 43 ASCII letters or digits that decode to an AES-256
    /// key, tried with this Token and receiveid (the corp id for an app, "" for an AI bot) when both are known.
    /// - Returns: whether the key is usable with them; a problem is recorded for a bad key (not for a missing
    ///   Token or receiveid, which their own reads report).
    mutating func checkEncodingAESKey(_ key: String, token: String?, receiveID: String?, at path: String) -> Bool {
        guard key.count == 43, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            error("\(path).encoding_aes_key", "must be exactly 43 letters or digits")
            return false
        }
        guard let token, let receiveID else { return false }
        do {
            _ = try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: receiveID)
            return true
        } catch {
            self.error("\(path).encoding_aes_key", "not a valid EncodingAESKey (\(error.reason))")
            return false
        }
    }

    /// Every environment variable that may hold a secret: the fallback names and each `*_env` value.
    func secretVariableNames(_ apps: [[String: ConfigValue]]) -> Set<String> {
        var names = Set(ConfigSchema.fallbackVariables.values)
        for app in apps {
            for secret in ConfigSchema.secrets + ConfigSchema.optionalSecrets {
                if case .string(let name)? = app[secret + "_env"] { names.insert(name) }
            }
            // An `llm` route's key.
            if case .array(let routes)? = app["route"] {
                for case .table(let route) in routes {
                    if case .string(let name)? = route["api_key_env"] { names.insert(name) }
                }
            }
        }
        return names
    }

    mutating func loadApp(_ table: [String: ConfigValue], index: Int, count: Int, secretNames: Set<String>) -> AppConfiguration? {
        let path = "app[\(index)]"
        let before = problems.count
        checkKeys(table, at: path, allowed: ConfigSchema.app)

        let name = callbackName(table, at: path)
        let appPath = callbackPath(table, at: path,
                                   missing: count > 1 ? "required when the configuration has more than one app or bot" : nil)

        let corpID = secret("corp_id", in: table, at: path, oneApp: count == 1)
        let token = secret("token", in: table, at: path, oneApp: count == 1)
        let key = secret("encoding_aes_key", in: table, at: path, oneApp: count == 1)
        if let corpID, corpID.isEmpty || corpID.contains(where: \.isWhitespace) {
            error("\(path).corp_id", "must be non-empty, without spaces")
        }
        checkToken(token, at: path)
        var credentials: AppCredentials?
        if let key, checkEncodingAESKey(key, token: token, receiveID: corpID, at: path), let corpID, let token {
            credentials = AppCredentials(corpID: corpID, token: token, encodingAESKey: key)
        }

        let activeSend = loadActiveSend(table, at: path)
        appNamesCorpSecret = ["corp_secret", "corp_secret_env", "corp_secret_file"].contains { table[$0] != nil }

        var agentID: Int64?
        if let id = integer(table, "agent_id", at: path) {
            if id < 0 { error("\(path).agent_id", "must not be negative") } else { agentID = Int64(id) }
        }

        let journal = string(table, "journal", at: path).map(absolute)
        if let journal { checkJournal(journal, at: "\(path).journal") }

        let routes = loadRoutes(table, at: path, header: "[[app.route]]", secretNames: secretNames) { loader, t, j, routePath, base in
            loader.loadRoute(t, index: j, at: routePath, baseEnvironment: base)
        }

        guard problems[before...].allSatisfy({ $0.severity == .warning }), let name, let credentials else { return nil }
        return AppConfiguration(name: name, path: appPath, credentials: credentials, agentID: agentID,
                                journalPath: journal, routes: routes, activeSend: activeSend)
    }

    /// `corp_secret` (optional, any of its three sources) and `api_base` (only with it).
    mutating func loadActiveSend(_ table: [String: ConfigValue], at path: String) -> ActiveSendSettings? {
        let given = ["corp_secret", "corp_secret_env", "corp_secret_file"].first { table[$0] != nil }
        let secret = given == nil ? nil : self.secret("corp_secret", in: table, at: path, oneApp: false)
        if let secret, secret.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) {
            error("\(path).\(given ?? "corp_secret")", "must not contain spaces or control characters")
            return nil
        }
        var apiBase = WeComAPIClient.defaultAPIBase
        if let base = string(table, "api_base", at: path) {
            if let problem = ActiveSendSettings.problem(apiBase: base) {
                error("\(path).api_base", problem)
            } else {
                apiBase = base
                if given == nil {
                    warning("\(path).api_base", "has no effect without corp_secret, corp_secret_env or corp_secret_file")
                } else if ActiveSendSettings.isCleartextRemote(apiBase: base) {
                    warning("\(path).api_base", "plain http to a remote host sends the Secret and tokens unencrypted")
                }
            }
        }
        return secret.map { ActiveSendSettings(corpSecret: $0, apiBase: apiBase) }
    }

    /// Resolves one secret from `key`, `key_env` or `key_file` (first line, trimmed), or in a one-app
    /// file from its fallback variable. Problems name keys, variables and paths, never values.
    mutating func secret(_ key: String, in table: [String: ConfigValue], at path: String, oneApp: Bool) -> String? {
        let given = [key, key + "_env", key + "_file"].filter { table[$0] != nil }
        guard given.count <= 1 else {
            error("\(path).\(given[1])", "give only one of \(key), \(key)_env, \(key)_file")
            return nil
        }
        let keyPath = "\(path).\(given.first ?? key)"
        switch given.first {
        case key:
            return string(table, key, at: path).map { $0.trimmingCharacters(in: .whitespaces) }
        case key + "_env":
            guard let variable = string(table, key + "_env", at: path) else { return nil }
            guard let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                error(keyPath, "environment variable \(variable) is not set")
                return nil
            }
            return value
        case key + "_file":
            guard let file = string(table, key + "_file", at: path).map(absolute) else { return nil }
            guard let data = FileManager.default.contents(atPath: file) else {
                error(keyPath, "cannot read \(file)")
                return nil
            }
            let first = String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let value = first.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                error(keyPath, "the first line of \(file) is empty")
                return nil
            }
            return value
        default:
            let variable = ConfigSchema.fallbackVariables[key] ?? ""
            if oneApp, let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return value
            }
            error(keyPath, "missing: give \(key), \(key)_env or \(key)_file" + (oneApp ? ", or set \(variable)" : ""))
            return nil
        }
    }

    mutating func checkJournal(_ file: String, at keyPath: String) {
        let directory = (file as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                error(keyPath, "\(file) is a directory")
            } else if !FileManager.default.isWritableFile(atPath: file) {
                error(keyPath, "\(file) is not writable")
            }
        } else if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            error(keyPath, "directory \(directory) does not exist")
        } else if !FileManager.default.isWritableFile(atPath: directory) {
            error(keyPath, "directory \(directory) is not writable")
        }
    }

    // MARK: Routes

    mutating func loadRoute(_ table: [String: ConfigValue], index: Int, at path: String, baseEnvironment: [String: String]) -> Route? {
        let before = problems.count
        checkKeys(table, at: path, allowed: ConfigSchema.route)

        var conditions = RouteConditions()
        conditions.msgType = string(table, "msg_type", at: path)
        if let type = conditions.msgType, !ConfigSchema.messageTypes.contains(type) {
            let suggestion = EditDistance.suggestion(for: type, among: ConfigSchema.messageTypes)
            warning("\(path).msg_type", "unknown message type \"\(type)\"" + (suggestion.map { "; did you mean \"\($0)\"?" } ?? ""))
        }
        conditions.event = string(table, "event", at: path)
        conditions.eventKey = string(table, "event_key", at: path)
        conditions.eventKeyRegex = pattern(table, "event_key_regex", at: path)
        conditions.changeType = string(table, "change_type", at: path)
        conditions.contentRegex = pattern(table, "content_regex", at: path)
        conditions.fromUser = stringArray(table, "from_user", at: path)
        if let id = integer(table, "agent_id", at: path) { conditions.agentID = Int64(id) }
        if let type = conditions.msgType {
            for key in ["event", "event_key", "event_key_regex", "change_type"] where table[key] != nil && type != "event" {
                error("\(path).\(key)", "needs msg_type = \"event\" (this route has msg_type = \"\(type)\")")
            }
            if table["content_regex"] != nil, type != "text" {
                error("\(path).content_regex", "needs msg_type = \"text\" (this route has msg_type = \"\(type)\")")
            }
        }

        self.baseEnvironment = baseEnvironment
        let action: (any Action)? = loadAction(table, at: path, noun: "action", names: ActionRegistry.names,
                                              allKeys: ActionRegistry.allKeys) { name in
            guard let type = ActionRegistry.action(named: name) else { return nil }
            return (type.keys, { (loader: inout ConfigLoader) in type.load(from: table, at: path, loader: &loader) })
        }
        guard problems[before...].allSatisfy({ $0.severity == .warning }), let action else { return nil }
        return Route(index: index, conditions: conditions, anyAction: action)
    }

    mutating func required(_ table: [String: ConfigValue], _ key: String, action: String, at path: String) -> MessageTemplate? {
        if table[key] == nil {
            error("\(path).\(key)", "missing (action \"\(action)\" needs it)")
            return nil
        }
        return template(table, key, at: path)
    }
}
