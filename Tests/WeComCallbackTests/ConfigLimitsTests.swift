import Foundation
import Testing
import TOMLKit
@testable import WeComCallback

/// Hostile configuration files: each must become a ``ConfigProblem``, never a crash or a long stall.
@Suite struct ConfigLimitsTests {
    static let app = "[[app]]\nname = \"a\"\n[[app.route]]\naction = \"echo\"\n"

    func problems(_ toml: String) -> [String] {
        do {
            _ = try Configuration.parse(toml, environment: RT.secrets)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    static func dotted(_ parts: Int, _ key: String = "k") -> String {
        Array(repeating: key, count: parts).joined(separator: ".")
    }

    @Test(arguments: [30_000, 5_000, 64])
    func deeplyDottedKeyIsAProblemNotAStackOverflow(parts: Int) {
        // `k` … `k = 1` with n parts puts the integer at level n + 1 (the document is level 1).
        #expect(problems(Self.dotted(parts) + " = 1\n" + Self.app) == ["nested deeper than 64 levels (line 1)"])
    }

    @Test func nestingUpToTheLimitIsOnlyAnUnknownKey() {
        #expect(problems(Self.dotted(63) + " = 1\n" + Self.app) == ["k: unknown key"])
    }

    @Test func deepHeadersInlineTablesAndArraysAreProblemsToo() {
        #expect(problems(Self.app + "[" + Self.dotted(20_000, "a") + "]\nx = 1\n") == ["nested deeper than 64 levels (line 5)"])
        #expect(problems("[[" + Self.dotted(64, "a") + "]]\n" + Self.app) == ["nested deeper than 64 levels (line 1)"])
        #expect(problems("# \"\nx = [{ " + Self.dotted(20_000) + " = 1 }]\n" + Self.app) == ["nested deeper than 64 levels (line 2)"])
        let arrays = "x = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        #expect(problems(arrays + Self.app) == ["nested deeper than 64 levels (line 1)"])
    }

    /// Dots in strings, comments and numbers are not key separators.
    static func tricky(innerParts: Int) -> String {
        let deep = dotted(100)
        let floats = Array(repeating: "1.5", count: 100).joined(separator: ", ")
        return #"""
            "\#(deep)" = 1
            '\#(deep)x'.b = 2
            s = "\#(deep)\"\\" # \#(deep)
            m = """
            [\#(deep)]
            \""" ""
            """
            l = '''\#(deep)'''
            f = [\#(floats)]
            t = { a = 1, b.c = [ { d = "\#(deep)" } ] }
            [[x.y]]
            z.w = { \#(dotted(innerParts, "v")) = 1 }

            """#
    }

    @Test func theDepthScanSkipsStringsCommentsAndNumbers() throws {
        // [[x.y]] opens a table at level 4, z.w is at 6, the inline table's keys add their parts.
        #expect(TOMLDepth.firstLine(deeperThan: 64, in: Self.tricky(innerParts: 58)) == nil)
        #expect(TOMLDepth.firstLine(deeperThan: 64, in: Self.tricky(innerParts: 59)) == 12)
        #expect(TOMLDepth.firstLine(deeperThan: 64, in: Self.tricky(innerParts: 1) + "[" + Self.dotted(64) + "]\n") == 13)
        try TOMLTable(string: Self.tricky(innerParts: 58)).clear()  // the sample is valid TOML (clear: TOMLKit never frees a table)
    }

    @Test func theConversionLimitsDepthOnItsOwn() throws {
        let deep = try TOMLTable(string: Self.dotted(70) + " = 1")
        defer { deep.clear() }  // TOMLKit never frees a table's toml++ tree by itself
        #expect(throws: ConfigValue.TooDeep.self) { try ConfigValue.from(table: deep) }
        let fine = try TOMLTable(string: Self.dotted(63) + " = 1")
        defer { fine.clear() }
        #expect(throws: Never.self) { try ConfigValue.from(table: fine) }
    }

    @Test func aFileOverOneMiBIsRefusedBeforeParsing() throws {
        let padding = "# " + String(repeating: "x", count: 1 << 20) + "\n"
        #expect(problems(Self.app + padding) == ["file larger than 1048576 bytes"])

        let path = try RT.temporaryDirectory().appendingPathComponent("big.toml").path
        try (Self.app + padding).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError("\(path) is larger than 1048576 bytes")) {
            try Configuration.load(path: path, environment: RT.secrets)
        }
    }
}

/// swift-mustache parses in time quadratic in the number of tags: template sources are capped.
@Suite struct TemplateLimitTests {
    @Test func aTemplateOver16KiBIsAProblemAndFast() {
        let toml = "[[app]]\nname = \"a\"\n[[app.route]]\naction = \"text\"\ntext = \"" + String(repeating: "{{a}}", count: 50_000) + "\"\n"
        let started = ContinuousClock.now
        #expect(throws: ConfigError(problems: [ConfigProblem(.error, "app[0].route[0].text", "template longer than 16384 bytes", line: 5)])) {
            try Configuration.parse(toml, environment: RT.secrets)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func aTemplateOfExactly16KiBIsAccepted() throws {
        let source = String(repeating: "{{a}}", count: 3276) + "abcd"
        #expect(source.utf8.count == 16384)
        #expect(try MessageTemplate(source).render(["a": "1"]).count == 3276 + 4)
        #expect(throws: MessageTemplate.ParseError(reason: "template longer than 16384 bytes", line: 0, column: 0)) {
            try MessageTemplate(source + "中")
        }
    }
}
