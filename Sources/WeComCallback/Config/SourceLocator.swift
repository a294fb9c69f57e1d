/// Finds the line of a key path (`app[1].route[2].content_regex`) in TOML text.
///
/// TOMLKit reports positions only for syntax errors, so this scans the text: it follows
/// `[server]`, `[[app]]`, `[[app.route]]`, `[[bot]]` and `[[bot.route]]` headers, counting array-of-tables entries, and records the
/// line of each `key = …` at the start of a line. Keys inside inline tables and multi-line values are
/// not indexed; a deeper path falls back to its nearest indexed ancestor (`…articles[3].title` →
/// the `articles =` line).
struct SourceLocator {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var section = ""
        var tableIndex: [String: Int] = [:]  // `app`, `bot`: the current entry
        var routeIndex = -1
        var inMultiline: String?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let delimiter = inMultiline {
                if line.contains(delimiter) { inMultiline = nil }
                continue
            }
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                switch name {
                case "app", "bot":
                    tableIndex[name, default: -1] += 1
                    routeIndex = -1
                    section = "\(name)[\(tableIndex[name] ?? 0)]"
                case "app.route", "bot.route":
                    let table = String(name.prefix(3))
                    routeIndex += 1
                    section = "\(table)[\(max(tableIndex[table] ?? 0, 0))].route[\(routeIndex)]"
                default:
                    section = name
                }
                record(section, number + 1)
                continue
            }
            if line.hasPrefix("[") {
                section = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                record(section, number + 1)
                continue
            }
            guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            var key = line[..<equals].trimmingCharacters(in: .whitespaces)
            if key.count >= 2, key.hasPrefix("\"") || key.hasPrefix("'") { key = String(key.dropFirst().dropLast()) }
            record(section.isEmpty ? key : "\(section).\(key)", number + 1)
            let value = line[line.index(after: equals)...]
            for delimiter in ["\"\"\"", "'''"] where value.components(separatedBy: delimiter).count == 2 {
                inMultiline = delimiter
            }
        }
    }

    private mutating func record(_ path: String, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    /// The line of `keyPath` or of its nearest recorded ancestor.
    /// - Parameter keyPath: e.g. `app[0].route[1].text`.
    /// - Returns: a 1-based line, or `nil`.
    func line(of keyPath: String) -> Int? {
        var path = Substring(keyPath)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = path[..<cut]
        }
        return nil
    }
}

import Foundation
