import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// `wecom-fcgi fixtures generate DIR [--seed N]`: writes ``CurlFixtureSet`` as files plus `run.sh`.
struct FixturesGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a complete, deterministic set of curl fixtures for one app into DIR.",
        discussion: """
            One fixture per message type and event, the URL verification, and the
            error cases (bad signature, wrong receiveid, broken padding, oversize,
            missing and duplicated parameters, empty body, bad method). Each fixture is
            NAME.query (the percent-encoded query string), NAME.body (empty for GET),
            NAME.status (the expected HTTP status), NAME.expect (optional: the exact
            GET body, or the decrypted echo reply's Content/MediaId) and NAME.method
            (only when not GET for an empty body and POST otherwise). DIR/run.sh
            BASE_URL sends them all with curl and prints `N passed, N failed`.

            DIR/bot/ holds the same for an AI bot (JSON callbacks, receiveid "", made
            with the same Token and EncodingAESKey): DIR/bot/run.sh BOT_URL.

            All randomness comes from SplitMix64 seeded with --seed and timestamps are
            fixed, so the same seed and credentials give the same bytes. Credentials
            default to the published sample set A used by `make run`; flags and
            WECOM_APP_* override them (run.sh then reads the Token and key from the
            environment instead of embedding them).

            Example:
              wecom-fcgi fixtures generate Tests/Fixtures/curl --seed 1
              Tests/Fixtures/curl/run.sh http://127.0.0.1:8080/wecom/callback
            """)

    @OptionGroup var credentials: CredentialOptions

    @Argument(help: ArgumentHelp("The directory to write (created if missing; old fixtures in it are replaced).",
                                 valueName: "dir"))
    var directory: String

    @Option(help: ArgumentHelp("Seed of the pseudo-random generator.", valueName: "n"))
    var seed: UInt64 = 1

    /// WeCom's published sample credentials (set A of the spec's vectors), which `make run` serves.
    static let sampleCredentials = AppCredentials(
        corpID: "ww1436e0e65a779aee", token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
        encodingAESKey: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt")

    /// The file extensions a fixture may have; others in DIR are left alone.
    static let fixtureExtensions: Set<String> = ["query", "body", "status", "expect", "method"]

    func run() throws {
        let resolved = try credentials.resolve(fallback: Self.sampleCredentials)
        _ = try credentials.crypt(for: resolved)  // validates, with a message naming the bad credential
        let fixtures: [CurlFixture]
        do {
            fixtures = try CurlFixtureSet.generate(credentials: resolved, seed: seed)
        } catch {
            throw ValidationError(error.description)
        }

        let embed = resolved.token == Self.sampleCredentials.token
            && resolved.encodingAESKey == Self.sampleCredentials.encodingAESKey
        try writeSet(fixtures, into: directory, readme: FixtureRunScript.readme(fixtures: fixtures, seed: seed),
                     script: FixtureRunScript.script(corpID: resolved.corpID, embedSecrets: embed ? resolved : nil, seed: seed))

        // The AI bot fixtures (same Token and EncodingAESKey, receiveid "") in DIR/bot.
        let botFixtures: [CurlFixture]
        do {
            botFixtures = try BotCurlFixtureSet.generate(token: resolved.token, encodingAESKey: resolved.encodingAESKey, seed: seed)
        } catch {
            throw ValidationError(error.description)
        }
        let botDirectory = (directory as NSString).appendingPathComponent("bot")
        try writeSet(botFixtures, into: botDirectory, readme: FixtureRunScript.botReadme(fixtures: botFixtures, seed: seed),
                     script: FixtureRunScript.botScript(
                        embedSecrets: embed ? (resolved.token, resolved.encodingAESKey) : nil, seed: seed))
        print("wrote \(fixtures.count) fixtures and run.sh to \(directory), \(botFixtures.count) AI bot fixtures and run.sh to \(botDirectory)")
    }

    /// Writes one fixture set with its README.md and run.sh into `directory`, replacing fixture files of
    /// an earlier generation that this one does not write.
    func writeSet(_ fixtures: [CurlFixture], into directory: String, readme: String, script: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [String: [UInt8]] = [:]
        for fixture in fixtures {
            files[fixture.name + ".query"] = Array(fixture.request.queryString.utf8)
            files[fixture.name + ".body"] = fixture.request.body
            files[fixture.name + ".status"] = Array("\(fixture.expectedStatus)\n".utf8)
            if let expect = fixture.expect { files[fixture.name + ".expect"] = Array(expect.utf8) }
            if !fixture.methodIsImplied { files[fixture.name + ".method"] = Array("\(fixture.request.method)\n".utf8) }
        }
        files["README.md"] = Array(readme.utf8)

        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        where Self.fixtureExtensions.contains((name as NSString).pathExtension) && files[name] == nil {
            try fm.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
        for (name, bytes) in files.sorted(by: { $0.key < $1.key }) {
            try write(bytes, to: (directory as NSString).appendingPathComponent(name), mode: 0o644)
        }
        try write(Array(script.utf8), to: (directory as NSString).appendingPathComponent("run.sh"), mode: 0o755)
    }

    func write(_ bytes: [UInt8], to path: String, mode: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: mode]) else {
            throw ValidationError("cannot write \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
