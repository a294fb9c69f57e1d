import Platform

extension Envelope {
    /// The envelope as WeCom sends it, read in one pass over the bytes without building elements; `nil`
    /// for anything else, which then goes through the full ``XMLReader`` (and gets its errors).
    ///
    /// Accepted shape only: ASCII without CR; optional whitespace (space, tab, LF), `<xml>`, then
    /// children each `<Name>text</Name>` or `<Name><![CDATA[text]]></Name>` (a name of ASCII letters,
    /// digits, `_`, `-`, `.` or `:`; plain text without `<` or `&`) with only whitespace between them,
    /// `</xml>`, optional whitespace. Within ``limits`` (size, depth 2, element count). For such a
    /// body the reader would build exactly the elements seen here (no entity, no line-end
    /// normalisation, one text segment each), so the result equals ``init(parsing:limits:)``'s through
    /// the reader: the first `Encrypt` trimmed (empty → `nil`, the reader's path throws), the first
    /// `ToUserName`, the first `AgentID` else `AgentId`, trimmed, empty → `nil`.
    /// - Parameters:
    ///   - body: the HTTP body bytes.
    ///   - limits: the reader limits the body must be within.
    /// - Returns: the envelope, or `nil` to use the full reader.
    static func scanPlain(_ body: [UInt8], limits: XMLReader.Limits) -> Envelope? {
        guard body.count <= limits.maxBytes, limits.maxDepth >= 2, limits.maxElements >= 2 else { return nil }
        return body.withUnsafeBufferPointer { buffer -> Envelope? in
            var scanner = EnvelopeScanner(buffer, maxElements: limits.maxElements)
            return scanner.scan()
        }
    }
}

/// The one-pass reader behind ``Envelope/scanPlain(_:limits:)``. Every read of `b` is preceded by an
/// explicit `< n` check (release builds do not bounds-check `UnsafeBufferPointer`).
private struct EnvelopeScanner {
    let b: UnsafeBufferPointer<UInt8>
    let n: Int
    let maxElements: Int
    var i = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>, maxElements: Int) {
        b = buffer
        n = buffer.count
        self.maxElements = maxElements
    }

    mutating func scan() -> Envelope? {
        guard let base = b.baseAddress, Bytes.asciiPrefixEnd(b) == n, memchr(base, 0x0D, n) == nil else { return nil }
        skipSpace()
        guard take("<xml>") else { return nil }
        var elements = 1
        var encrypt: Range<Int>?, toUserName: Range<Int>?, agentID: Range<Int>?, agentId: Range<Int>?
        while true {
            skipSpace()
            guard i + 1 < n, b[i] == UInt8(ascii: "<") else { return nil }
            if b[i + 1] == UInt8(ascii: "/") { break }
            elements += 1
            guard elements <= maxElements else { return nil }
            i += 1
            let nameStart = i
            while i < n, isNameByte(b[i]) { i += 1 }
            let name = nameStart..<i
            guard !name.isEmpty, i < n, b[i] == UInt8(ascii: ">") else { return nil }
            i += 1
            let text: Range<Int>
            if has("<![CDATA[", at: i) {
                let start = i + 9
                guard let end = find("]]>", from: start) else { return nil }
                text = start..<end
                i = end + 3
            } else {
                let start = i
                while i < n, b[i] != UInt8(ascii: "<") {
                    if b[i] == UInt8(ascii: "&") { return nil }
                    i += 1
                }
                text = start..<i
            }
            // `</Name>` right after the text.
            guard i + 1 < n, b[i] == UInt8(ascii: "<"), b[i + 1] == UInt8(ascii: "/") else { return nil }
            let close = i + 2 + name.count
            guard close < n, b[close] == UInt8(ascii: ">"), memcmp(base + i + 2, base + name.lowerBound, name.count) == 0
            else { return nil }
            i = close + 1
            if encrypt == nil, equals(name, "Encrypt") { encrypt = text }
            else if toUserName == nil, equals(name, "ToUserName") { toUserName = text }
            else if agentID == nil, equals(name, "AgentID") { agentID = text }
            else if agentId == nil, equals(name, "AgentId") { agentId = text }
        }
        guard take("</xml>") else { return nil }
        skipSpace()
        guard i == n, let encrypt else { return nil }
        let trimmed = string(encrypt).trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return nil }
        let agent = (agentID ?? agentId).map { string($0).trimmingASCIIWhitespace() }
        return Envelope(encrypt: trimmed, toUserName: toUserName.map { string($0) },
                        agentID: (agent?.isEmpty ?? true) ? nil : agent)
    }

    func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    mutating func skipSpace() {
        while i < n, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x09 { i += 1 }
    }

    /// Whether the bytes at `index` are `literal`.
    func has(_ literal: StaticString, at index: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index >= 0, index + count <= n, let base = b.baseAddress else { return false }
        return memcmp(base + index, literal.utf8Start, count) == 0
    }

    /// Consumes `literal` at `i` when it is there.
    mutating func take(_ literal: StaticString) -> Bool {
        guard has(literal, at: i) else { return false }
        i += literal.utf8CodeUnitCount
        return true
    }

    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && has(literal, at: range.lowerBound)
    }

    /// The first `literal` at or after `from`.
    func find(_ literal: StaticString, from: Int) -> Int? {
        guard let base = b.baseAddress, from >= 0 else { return nil }
        let first = Int32(literal.utf8Start.pointee)
        var k = from
        while k < n, let hit = memchr(base + k, first, n - k) {
            k = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            if has(literal, at: k) { return k }
            k += 1
        }
        return nil
    }

    /// Bytes `range` as a string (ASCII, checked above).
    func string(_ range: Range<Int>) -> String {
        guard range.lowerBound >= 0, range.upperBound <= n, !range.isEmpty else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
    }
}
