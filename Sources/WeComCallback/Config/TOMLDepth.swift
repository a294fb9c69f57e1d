/// How deeply a TOML document nests, measured on the text before toml++ sees it.
///
/// toml++ limits the nesting of arrays and inline tables (256), but not of dotted keys and table
/// headers: `k.k.k.…k = 1` with 30,000 parts parses into 30,000 nested tables, and toml++'s own
/// recursive passes over the tree (region updates, destruction) then overflow the stack. This scan
/// finds the first value nested deeper than a limit without building anything: it follows table
/// headers, dotted keys (quoted parts count as one), inline tables and arrays, and skips strings and
/// comments. It does not validate; a malformed document is left to toml++ to report.
enum TOMLDepth {
    /// Where the first value deeper than `limit` is (the document's root table is level 1, the value of
    /// `a.b = 1` level 3, of `[a]` `b = 1` level 3 as well), or `nil` when none is.
    /// - Parameters:
    ///   - text: the TOML text.
    ///   - limit: the deepest level allowed.
    /// - Returns: the 1-based line of the first value past `limit`, or `nil`.
    static func firstLine(deeperThan limit: Int, in text: String) -> Int? {
        enum Mode { case lineStart, header, key, value, restOfLine }
        enum Frame { case array(Int), inlineTable(Int) }
        let b = Array(text.utf8)
        let n = b.count
        var i = 0
        var line = 1
        var mode = Mode.lineStart
        var stack: [Frame] = []
        var section = 1          // the level of the table the current header opened
        var headerParts = 1
        var doubleHeader = false
        var keyBase = 1          // the level of the table a key is in
        var keyParts = 1
        var valueLevel = 1       // the level of the value being read

        func at(_ j: Int) -> UInt8 { j < n ? b[j] : 0 }
        /// Skips a string starting at `i` (any of the four kinds); counts its line breaks.
        func skipString() {
            let quote = b[i]
            let multi = at(i + 1) == quote && at(i + 2) == quote
            i += multi ? 3 : 1
            while i < n {
                let c = b[i]
                if c == 0x5C, quote == 0x22 {  // backslash escape in "…"
                    if at(i + 1) == 0x0A { line += 1 }
                    i += 2
                    continue
                }
                if c == 0x0A {
                    line += 1
                    if !multi { return }
                }
                if c == quote {
                    if !multi { i += 1; return }
                    if at(i + 1) == quote, at(i + 2) == quote {
                        i += 3
                        while at(i) == quote { i += 1 }  // up to two quotes may end the content
                        return
                    }
                }
                i += 1
            }
        }

        while i < n {
            let c = b[i]
            if c == 0x22 || c == 0x27 {  // " or '
                skipString()
                continue
            }
            if c == 0x23 {  // # comment: to the end of the line
                while i < n, b[i] != 0x0A { i += 1 }
                continue
            }
            if c == 0x0A {
                line += 1
                i += 1
                if stack.isEmpty { mode = .lineStart }
                continue
            }
            switch mode {
            case .lineStart:
                if c == 0x5B {  // [
                    doubleHeader = at(i + 1) == 0x5B
                    i += doubleHeader ? 1 : 0
                    headerParts = 1
                    mode = .header
                } else if c != 0x20, c != 0x09, c != 0x0D {
                    keyBase = section
                    keyParts = 1
                    mode = .key
                    continue
                }
            case .header:
                if c == 0x2E {
                    headerParts += 1
                } else if c == 0x5D {  // ]
                    // [a.b] is the table at level 1 + parts; [[a.b]] the element of an array at that level.
                    section = 1 + headerParts + (doubleHeader ? 1 : 0)
                    if section > limit { return line }
                    mode = .restOfLine
                }
            case .key:
                if c == 0x2E {
                    keyParts += 1
                } else if c == 0x3D {  // =
                    valueLevel = keyBase + keyParts
                    if valueLevel > limit { return line }
                    mode = .value
                } else if c == 0x7D, case .inlineTable? = stack.last {  // } of an empty inline table
                    stack.removeLast()
                    mode = .value
                }
            case .value:
                switch c {
                case 0x7B:  // {
                    stack.append(.inlineTable(valueLevel))
                    keyBase = valueLevel
                    keyParts = 1
                    mode = .key
                case 0x5B:  // [
                    stack.append(.array(valueLevel))
                    valueLevel += 1
                    if valueLevel > limit { return line }
                case 0x2C:  // ,
                    switch stack.last {
                    case .inlineTable(let level)?:
                        keyBase = level
                        keyParts = 1
                        mode = .key
                    case .array(let level)?:
                        valueLevel = level + 1
                    case nil:
                        break
                    }
                case 0x5D, 0x7D:  // ] }
                    if !stack.isEmpty { stack.removeLast() }
                default:
                    break
                }
            case .restOfLine:
                break
            }
            i += 1
        }
        return nil
    }
}
