import Foundation
import Logging
import Testing
@testable import WeComCallback

@Suite struct ConfigTests {
    static let key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    static let env = ["HELPDESK_TOKEN": "HelpToken1", "PATH": "/usr/bin:/bin"]
    var fixturePath: String { RT.fixtures.appendingPathComponent("config/two-apps.toml").path }

    @Test func twoAppFileLoadsWithEverySecretSource() throws {
        let config = try Configuration.load(path: fixturePath, environment: Self.env)
        #expect(config.server == ServerSettings(maxBodyBytes: 32768, logLevel: .debug))
        #expect(config.apps.map(\.name) == ["helpdesk", "ops"])
        #expect(config.apps[0].credentials.token == "HelpToken1")  // token_env
        #expect(config.apps[0].credentials.encodingAESKey == Self.key)  // encoding_aes_key_file, first line
        #expect(config.apps[1].credentials.token == "OpsToken1")  // inline
        #expect(config.apps[0].agentID == 1000002)
        #expect(config.apps[0].routes.count == 2)
        #expect(!config.apps[0].description.contains("HelpToken1"))
    }

    @Test func deployedExampleIsValidOnceItsFilesExist() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/config.example.toml")
        let dir = try RT.temporaryDirectory()
        let text = try String(contentsOf: example, encoding: .utf8)
            .replacingOccurrences(of: "/etc/wecom-fcgi/helpdesk.key", with: RT.fixtures.appendingPathComponent("config/aes.key").path)
            .replacingOccurrences(of: "/var/lib/wecom-fcgi/", with: dir.path + "/")
            .replacingOccurrences(of: "/usr/local/bin/ask-bot", with: "/bin/cat")
        let config = try Configuration.parse(text, environment: Self.env)
        #expect(config.apps[0].routes.map(\.action.name) == ["text", "news", "ignore", "exec", "echo"])
        #expect(config.warnings.isEmpty)
    }

    @Test func oneAppFileFallsBackToTheEnvironment() throws {
        let config = try Configuration.parse("[[app]]\nname = \"solo\"\n[[app.route]]\naction = \"echo\"\n", environment: RT.secrets)
        #expect(config.apps[0].credentials.corpID == RT.corpID)
        #expect(config.apps[0].credentials.token == "QDG6eK")
        #expect(config.apps[0].path == nil)
    }

    @Test func noFileMeansOneEchoAppFromTheEnvironment() throws {
        let config = try Configuration.fromEnvironment(RT.secrets)
        #expect(config.apps.count == 1)
        #expect(config.apps[0].routes == [Route(index: 0, action: .echo)])
        #expect(throws: ConfigError("no configuration file and no usable environment: WECOM_APP_CORP_ID: is not set")) {
            try Configuration.fromEnvironment([:])
        }
        #expect(try Configuration.resolve(explicitPath: nil, environment: RT.secrets.merging(["WECOM_FCGI_CONFIG": fixturePath]) { a, _ in a }
            .merging(Self.env) { a, _ in a }).apps.count == 2)
    }

    @Test func severalAppsAreChosenByPath() throws {
        let server = try Configuration.load(path: fixturePath, environment: Self.env).makeServer(logger: Logger(label: "t"), now: RT.clock)
        let handler = CallbackHandler(apps: server.apps, logger: Logger(label: "t"))
        func element(_ name: String, _ xml: String) -> String {
            xml.components(separatedBy: "<\(name)><![CDATA[").dropFirst().first?.components(separatedBy: "]]>").first ?? ""
        }
        /// Posts an encrypted plaintext and returns (status, decrypted reply plaintext).
        func post(_ path: String, crypt: WXBizMsgCrypt, _ plaintext: [UInt8]) throws -> (Int, String) {
            let envelope = try crypt.encryptReply(plaintext, timestamp: "1700000000", nonce: "n1")
            let response = handler.handle(CallbackRequest(method: "POST", path: path,
                queryString: "msg_signature=\(element("MsgSignature", envelope))&timestamp=1700000000&nonce=n1", body: Array(envelope.utf8)))
            guard !response.body.isEmpty, response.status == 200 else { return (response.status, "") }
            let reply = String(decoding: response.body, as: UTF8.self)
            let plain = try crypt.decryptMessage(msgSignature: element("MsgSignature", reply), timestamp: "1700000000", nonce: "n1",
                                                 encrypt: element("Encrypt", reply))
            return (200, String(decoding: plain, as: UTF8.self))
        }
        let help = try WXBizMsgCrypt(token: "HelpToken1", encodingAESKey: Self.key, receiveID: "wwcorp")
        let ops = try WXBizMsgCrypt(token: "OpsToken1", encodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", receiveID: "wwcorp")
        let helpReply = try post("/wecom/helpdesk", crypt: help, RT.text("帮助"))
        #expect(helpReply.0 == 200)
        #expect(helpReply.1 == PassiveReply.text("Hello zhangsan").renderXML(toUser: "zhangsan", fromUser: "wwcorp", createTime: 1_700_000_000))
        let opsReply = try post("/wecom/ops/", crypt: ops, RT.text("x"))
        #expect(opsReply.1 == PassiveReply.text("ops got text").renderXML(toUser: "zhangsan", fromUser: "wwcorp", createTime: 1_700_000_000))
        // The helpdesk's credentials do not verify at the ops path, and its agent_id refuses another AgentID.
        #expect(try post("/wecom/ops", crypt: help, RT.text("x")).0 == 403)
        #expect(try post("/wecom/helpdesk", crypt: help, RT.xml("text", "<Content>x</Content>", agentID: "9")).0 == 403)
        #expect(handler.handle(CallbackRequest(method: "POST", path: "/other", body: [1])).status == 404)
        #expect(server.apps.map(\.path) == ["/wecom/helpdesk", "/wecom/ops"])
        #expect(server.settings.maxBodyBytes == 32768)
    }
}

/// `check-config` messages for broken files, asserted exactly.
@Suite struct ConfigCheckTests {
    static let app = "[[app]]\nname = \"a\"\n"

    func problems(_ toml: String, environment: [String: String] = RT.secrets) -> [String] {
        do {
            _ = try Configuration.parse(toml, environment: environment)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func tomlSyntaxErrorHasLineAndColumn() {
        #expect(problems("[[app]]\nname = \"a\n") == ["TOML syntax error: Error while parsing string: unescaped control characters other than TAB (U+0009) are explicitly prohibited (line 2, column 10)"])
    }

    @Test func unknownKeysGetDidYouMean() {
        #expect(problems("[servr]\n" + Self.app + "tokne = \"x\"\n[[app.route]]\naction = \"echo\"\ncontnet_regex = \"x\"\nbanana = 1\n") == [
            "servr: unknown key; did you mean \"server\"? (line 1)",
            "app[0].tokne: unknown key; did you mean \"token\"? (line 4)",
            "app[0].route[0].banana: unknown key (line 8)",
            "app[0].route[0].contnet_regex: unknown key; did you mean \"content_regex\"? (line 7)",
        ])
    }

    @Test func noAppAndSingularAppTable() {
        #expect(problems("[server]\n") == ["no [[app]] or [[bot]] table: at least one app or bot is required"])
        #expect(problems("[app]\nname = \"a\"\n") == ["app: must be an array of tables: write [[app]], not [app] (line 1)"])
    }

    @Test func serverValues() {
        #expect(problems("[server]\nmax_body_bytes = 10\nlog_level = \"verbose\"\n" + Self.app + "[[app.route]]\naction = \"echo\"\n") == [
            "server.max_body_bytes: must be between 1024 and 67108864 (line 2)",
            "server.log_level: unknown log level \"verbose\" (one of trace, debug, info, notice, warning, error) (line 3)",
        ])
    }

    @Test func secretProblemsNeverShowValues() throws {
        let dir = try RT.temporaryDirectory()
        let toml = """
            [[app]]
            name = "a"
            path = "/a"
            corp_id = "ww1"
            corp_id_env = "CORP"
            token_env = "NOT_SET_ANYWHERE"
            encoding_aes_key_file = "\(dir.path)/missing.key"
            [[app]]
            name = "b"
            path = "/b"
            token = "has space"
            encoding_aes_key = "tooShortSecretValue"
            """
        #expect(problems(toml) == [
            "app[0].corp_id_env: give only one of corp_id, corp_id_env, corp_id_file (line 5)",
            "app[0].token_env: environment variable NOT_SET_ANYWHERE is not set (line 6)",
            "app[0].encoding_aes_key_file: cannot read \(dir.path)/missing.key (line 7)",
            "warning: app[0].route: no routes: no message gets a reply (line 1)",
            "app[1].corp_id: missing: give corp_id, corp_id_env or corp_id_file (line 8)",
            "app[1].token: must be 1 to 32 letters or digits (line 11)",
            "app[1].encoding_aes_key: must be exactly 43 letters or digits (line 12)",
            "warning: app[1].route: no routes: no message gets a reply (line 8)",
        ])
    }

    @Test func duplicateNamesAndPathsAndMissingPath() {
        let secrets = "corp_id = \"ww1\"\ntoken = \"t\"\nencoding_aes_key = \"\(ConfigTests.key)\"\n"
        let toml = """
            [[app]]
            name = "a"
            path = "/x/"
            [[app.route]]
            action = "echo"
            [[app]]
            name = "a"
            path = "/x"
            [[app.route]]
            action = "echo"
            [[app]]
            name = "c"
            [[app.route]]
            action = "echo"
            """
        #expect(problems(toml.replacingOccurrences(of: "[[app.route]]", with: secrets + "[[app.route]]")) == [
            "app[1].name: duplicate name \"a\" (also app[0].name) (line 10)",
            "app[1].path: duplicate path \"/x\" (also app[0].path) (line 11)",
            "app[2].path: missing: required when the configuration has more than one app or bot (line 17)",
        ])
    }

    @Test func agentIDMustBeAnInteger() {
        #expect(problems(Self.app + "agent_id = \"1000002\"\n[[app.route]]\naction = \"echo\"\nagent_id = 1.5\n") == [
            "app[0].agent_id: must be an integer, not a string (line 3)",
            "app[0].route[0].agent_id: must be an integer, not a float (line 6)",
        ])
    }

    @Test func regexAndTemplateSyntax() {
        #expect(problems(Self.app + "[[app.route]]\nmsg_type = \"text\"\ncontent_regex = \"^(help\"\naction = \"text\"\ntext = \"Hi {{FromUserName}\"\n") == [
            "app[0].route[0].content_regex: invalid regular expression (ICU rejected the pattern) (line 5)",
            "app[0].route[0].text: invalid template: overflow at line 1, column 18 (line 7)",
        ])
    }

    @Test func actionSpecificKeys() {
        let toml = Self.app + """
            [[app.route]]
            action = "text"
            media_id = "m"
            [[app.route]]
            action = "news"
            articles = []
            [[app.route]]
            action = "video"
            [[app.route]]
            action = "txet"
            [[app.route]]
            msg_type = "image"
            content_regex = "x"
            event = "click"
            [[app.route]]
            action = "news"
            articles = [{ description = "no title", link = "x" }]
            """
        #expect(problems(toml) == [
            "app[0].route[0].media_id: not used by action \"text\" (line 5)",
            "app[0].route[0].text: missing (action \"text\" needs it) (line 3)",
            "app[0].route[1].articles: must have 1 to 8 articles, not 0 (line 8)",
            "app[0].route[2].media_id: missing (action \"video\" needs it) (line 9)",
            "app[0].route[3].action: unknown action \"txet\"; did you mean \"text\"? (line 12)",
            "app[0].route[4].event: needs msg_type = \"event\" (this route has msg_type = \"image\") (line 16)",
            "app[0].route[4].content_regex: needs msg_type = \"text\" (this route has msg_type = \"image\") (line 15)",
            "app[0].route[4].action: missing (line 13)",
            "app[0].route[5].articles[0].link: unknown key (line 19)",
            "app[0].route[5].articles[0].title: missing (line 19)",
        ])
    }

    @Test func execCommandTimeoutAndJournal() {
        let toml = Self.app + """
            journal = "/nonexistent-dir/j.jsonl"
            [[app.route]]
            action = "exec"
            command = ["no-such-program-xyz"]
            timeout_ms = 4800
            [[app.route]]
            action = "exec"
            command = []
            timeout_ms = 0
            [[app.route]]
            action = "exec"
            command = "/bin/true"
            """
        #expect(problems(toml) == [
            "app[0].journal: directory /nonexistent-dir does not exist (line 3)",
            "app[0].route[0].command[0]: no-such-program-xyz not found in PATH or not executable (line 6)",
            "warning: app[0].route[0].timeout_ms: 4800 ms is more than reply_budget_ms (4000): without corp_secret a result later than that is dropped (line 7)",
            "app[0].route[1].command: must be a non-empty array of strings (argv; no shell) (line 10)",
            "app[0].route[2].command: must be an array of strings, not a string (line 14)",
        ])
    }

    @Test func warningsAloneDoNotFailAndAreKept() throws {
        let config = try Configuration.parse(Self.app + "[[app.route]]\nmsg_type = \"txt\"\naction = \"exec\"\ncommand = [\"/bin/true\"]\ntimeout_ms = 4600\n", environment: RT.secrets)
        #expect(config.warnings.map(\.description) == [
            "warning: app[0].route[0].msg_type: unknown message type \"txt\"; did you mean \"text\"? (line 4)",
            "warning: app[0].route[0].timeout_ms: 4600 ms is more than reply_budget_ms (4000): without corp_secret a result later than that is dropped (line 7)",
        ])
    }

    @Test func editDistanceSuggestions() {
        #expect(EditDistance.between("kitten", "sitting") == 3)
        #expect(EditDistance.suggestion(for: "evnt", among: ConfigSchema.route) == "event")
        #expect(EditDistance.suggestion(for: "zzzzzz", among: ConfigSchema.route) == nil)
    }
}

/// Actions as plug-ins (pipeline issue): the schema is derived from the registry.
@Suite struct ActionRegistryTests {
    @Test func routeKeysAndActionNamesComeFromTheRegisteredActions() throws {
        #expect(ActionRegistry.names == ["echo", "text", "image", "voice", "video", "news", "update_button", "ignore", "exec", "llm"])
        for type in ActionRegistry.all {
            for key in type.keys { #expect(ConfigSchema.route.contains(key), "\(type.name).\(key)") }
        }
        // A key of another action is refused with the action's name.
        do {
            _ = try Configuration.parse(RT.header + "[[app.route]]\naction = \"echo\"\nmedia_id = \"x\"\n", environment: RT.secrets)
            Issue.record("media_id on echo was accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["app[0].route[0].media_id: not used by action \"echo\" (line 5)"])
        }
    }
}
