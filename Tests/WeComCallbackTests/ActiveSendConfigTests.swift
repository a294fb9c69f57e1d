import Foundation
import Logging
import Testing
@testable import WeComCallback

/// `corp_secret*` and `api_base` in the configuration, and the senders `makeServer` builds.
@Suite struct ActiveSendConfigTests {
    static let app = "[[app]]\nname = \"a\"\n"
    static let route = "[[app.route]]\naction = \"echo\"\n"

    func problems(_ toml: String, environment: [String: String] = RT.secrets) -> [String] {
        do {
            let config = try Configuration.parse(toml, environment: environment)
            return config.warnings.map(\.description)
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func corpSecretFromEachSource() throws {
        let inline = try Configuration.parse(Self.app + "corp_secret = \"  inline-secret \"\n" + Self.route, environment: RT.secrets)
        #expect(inline.apps[0].activeSend == ActiveSendSettings(corpSecret: "inline-secret"))
        #expect(inline.apps[0].activeSend?.apiBase == "https://qyapi.weixin.qq.com")
        let env = try Configuration.parse(Self.app + "corp_secret_env = \"APP_SECRET\"\napi_base = \"http://127.0.0.1:8080/\"\n" + Self.route,
                                          environment: RT.secrets.merging(["APP_SECRET": "env-secret"]) { a, _ in a })
        #expect(env.apps[0].activeSend == ActiveSendSettings(corpSecret: "env-secret", apiBase: "http://127.0.0.1:8080"))
        let dir = try RT.temporaryDirectory()
        let file = dir.appendingPathComponent("secret")
        try "file-secret\nignored\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try Configuration.parse(Self.app + "corp_secret_file = \"\(file.path)\"\n" + Self.route, environment: RT.secrets)
        #expect(fromFile.apps[0].activeSend?.corpSecret == "file-secret")
        #expect(!fromFile.apps[0].description.contains("file-secret"))
        let none = try Configuration.parse(Self.app + Self.route, environment: RT.secrets)
        #expect(none.apps[0].activeSend == nil)
    }

    @Test func corpSecretProblemsNeverShowValues() {
        #expect(problems(Self.app + "corp_secret = \"s1\"\ncorp_secret_env = \"X\"\n" + Self.route) == [
            "app[0].corp_secret_env: give only one of corp_secret, corp_secret_env, corp_secret_file (line 4)",
        ])
        #expect(problems(Self.app + "corp_secret_env = \"NOPE\"\n" + Self.route) == [
            "app[0].corp_secret_env: environment variable NOPE is not set (line 3)",
        ])
        #expect(problems(Self.app + "corp_secret = \"has space\"\n" + Self.route) == [
            "app[0].corp_secret: must not contain spaces or control characters (line 3)",
        ])
        #expect(problems(Self.app + "corp_secert = \"x\"\n" + Self.route) == [
            "app[0].corp_secert: unknown key; did you mean \"corp_secret\"? (line 3)",
        ])
    }

    @Test func apiBaseIsValidated() {
        let secret = "corp_secret = \"s\"\n"
        #expect(problems(Self.app + secret + "api_base = \"ftp://example.com\"\n" + Self.route) == [
            "app[0].api_base: must be an http:// or https:// URL with a host (line 4)",
        ])
        #expect(problems(Self.app + secret + "api_base = \"https://proxy.example.com/wecom?x=1\"\n" + Self.route) == [
            "app[0].api_base: must not have a query, fragment or user info (line 4)",
        ])
        #expect(problems(Self.app + secret + "api_base = 8080\n" + Self.route) == ["app[0].api_base: must be a string, not an integer (line 4)"])
        #expect(problems(Self.app + secret + "api_base = \"http://proxy.example.com\"\n" + Self.route) == [
            "warning: app[0].api_base: plain http to a remote host sends the Secret and tokens unencrypted (line 4)",
        ])
        #expect(problems(Self.app + "api_base = \"https://proxy.example.com\"\n" + Self.route) == [
            "warning: app[0].api_base: has no effect without corp_secret, corp_secret_env or corp_secret_file (line 3)",
        ])
        #expect(problems(Self.app + secret + "api_base = \"https://proxy.example.com/wecom/\"\n" + Self.route).isEmpty)
    }

    @Test func execProgramsDoNotInheritTheSecretVariable() throws {
        let toml = Self.app + "corp_secret_env = \"APP_SECRET\"\n[[app.route]]\naction = \"exec\"\ncommand = [\"/bin/cat\"]\n"
        let config = try Configuration.parse(toml, environment: RT.secrets.merging(["APP_SECRET": "s", "OTHER": "o"]) { a, _ in a })
        guard let exec = config.apps[0].routes[0].action as? ExecAction else {
            Issue.record("not exec")
            return
        }
        #expect(exec.baseEnvironment["APP_SECRET"] == nil)
        #expect(exec.baseEnvironment["OTHER"] == "o")
    }

    @Test func makeServerBuildsASenderPerAppWithASecret() throws {
        let secrets = "corp_id = \"ww1\"\ntoken = \"t1\"\nencoding_aes_key = \"\(ConfigTests.key)\"\n"
        let toml = """
            [[app]]
            name = "with"
            path = "/with"
            \(secrets)corp_secret = "s"
            api_base = "http://127.0.0.1:9"
            [[app.route]]
            action = "echo"
            [[app]]
            name = "without"
            path = "/without"
            \(secrets)[[app.route]]
            action = "echo"
            """
        let server = try Configuration.parse(toml, environment: [:]).makeServer(logger: Logger(label: "t"))
        #expect(server.activeSenders.keys.sorted() == ["with"])
        #expect((server.apps[0].processor as? MessagePipeline)?.activeSender is ActiveSender)
        #expect((server.apps[1].processor as? MessagePipeline)?.activeSender == nil)
        #expect(server.shutdownActiveSenders(timeout: .seconds(1)).isEmpty)
    }
}
