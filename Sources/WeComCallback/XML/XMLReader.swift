import Platform

/// A small, hardened XML reader for the subset WeCom sends (spec §6.1, §11): elements, text,
/// CDATA, comments and processing instructions. Attributes are tolerated and ignored.
///
/// Why not FoundationXML (`XMLParser`/`XMLDocument`): libxml2 rejects the XML-illegal control
/// characters (0x10, 0x1D, …) that WeCom forwards verbatim inside CDATA, so a real user message
/// would fail to parse; and DTD/entity handling would need a pre-check anyway, because the envelope
/// is parsed before it is authenticated. This reader works on raw bytes, never recurses (an explicit
/// stack bounded by ``Limits/maxDepth``), never traps on any input and never reads anything but its
/// input.
///
/// Rules:
/// - `<!DOCTYPE …>` anywhere → ``XMLError/doctypeForbidden(offset:)``; `<!ENTITY` or a reference to
///   any entity except `&amp; &lt; &gt; &quot; &apos;` and numeric references →
///   ``XMLError/entityForbidden(offset:name:)``. Nothing is ever expanded or fetched.
/// - The whole input must be valid UTF-8 (4-byte sequences included); a leading BOM is skipped.
/// - XML-illegal characters (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF) in text or CDATA are
///   **accepted and kept as they are** (lossless): WeCom forwards user text verbatim. Writers must
///   drop them (``XMLText/removingIllegal(_:)``) before producing XML.
/// - Line ends in character data are normalised as XML 1.0 §2.11 requires (CRLF and lone CR → LF),
///   like every conforming parser; a `&#13;` reference still yields CR.
/// - Whitespace, comments and PIs before and after the root element are skipped.
public struct XMLReader: Sendable {
    /// Resource limits, checked before the work they bound.
    public struct Limits: Sendable, Equatable {
        /// Maximum input size in bytes (default 1 MiB).
        public var maxBytes: Int
        /// Maximum element nesting; the root is depth 1 (default 16).
        public var maxDepth: Int
        /// Maximum number of elements in the document (default 4096).
        public var maxElements: Int

        /// Creates limits.
        /// - Parameters:
        ///   - maxBytes: input size limit in bytes.
        ///   - maxDepth: nesting limit (root = 1).
        ///   - maxElements: element count limit.
        public init(maxBytes: Int = 1 << 20, maxDepth: Int = 16, maxElements: Int = 4096) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
            self.maxElements = maxElements
        }

        /// The defaults, sensible for WeCom callbacks: 1 MiB, depth 16, 4096 elements.
        public static let wecom = Limits()
    }

    /// The limits this reader enforces.
    public var limits: Limits

    /// Creates a reader.
    /// - Parameter limits: resource limits (defaults: ``Limits/wecom``).
    public init(limits: Limits = .wecom) {
        self.limits = limits
    }

    /// Parses a whole document.
    /// - Parameter bytes: the document, UTF-8 (optionally with a BOM).
    /// - Returns: the root element.
    /// - Throws: ``XMLError`` for anything that is not a well-formed, DTD-free document within the limits.
    public func parse(_ bytes: [UInt8]) throws(XMLError) -> XMLElement {
        guard bytes.count <= limits.maxBytes else {
            throw .tooLarge(bytes: bytes.count, limit: limits.maxBytes)
        }
        let limits = self.limits
        let result: Result<XMLElement, XMLError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = XMLByteParser(buffer, limits: limits)
            do throws(XMLError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses a whole document given as a string (its UTF-8 bytes).
    /// - Parameter string: the document.
    /// - Returns: the root element.
    /// - Throws: ``XMLError`` as ``parse(_:)-([UInt8])``.
    public func parse(_ string: String) throws(XMLError) -> XMLElement {
        try parse(Array(string.utf8))
    }
}

// MARK: - The byte parser

private enum ASCII {
    static let lt: UInt8 = 0x3C, gt: UInt8 = 0x3E, amp: UInt8 = 0x26, slash: UInt8 = 0x2F
    static let bang: UInt8 = 0x21, question: UInt8 = 0x3F, semicolon: UInt8 = 0x3B, hash: UInt8 = 0x23
    static let equals: UInt8 = 0x3D, quote: UInt8 = 0x22, apostrophe: UInt8 = 0x27
    static let cr: UInt8 = 0x0D, lf: UInt8 = 0x0A, space: UInt8 = 0x20, tab: UInt8 = 0x09
    static let lowerX: UInt8 = 0x78
    static let commentOpen: [UInt8] = Array("<!--".utf8)
    static let commentClose: [UInt8] = Array("-->".utf8)
    static let cdataOpen: [UInt8] = Array("<![CDATA[".utf8)
    static let doctype: [UInt8] = Array("<!DOCTYPE".utf8)
    static let entity: [UInt8] = Array("<!ENTITY".utf8)
    static let piClose: [UInt8] = Array("?>".utf8)
    static let cdataClose: [UInt8] = Array("]]>".utf8)

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == space || c == lf || c == cr || c == tab
    }
}

/// One open element while parsing.
private struct OpenElement {
    var name: String
    var nameStart: Int
    var nameEnd: Int
    /// The only text segment so far, kept as a range until a second one arrives (the common case
    /// — one CDATA section — then costs no copy).
    var single: Range<Int>?
    var text: [UInt8] = []
    var children: [XMLElement] = []
}

/// The parser proper. Every read of `b` is preceded by an explicit `< n` check: release builds do
/// not bounds-check `UnsafeBufferPointer`, and this code must never trap or over-read on any input.
private struct XMLByteParser {
    let b: UnsafeBufferPointer<UInt8>
    let n: Int
    let limits: XMLReader.Limits
    var i = 0
    var elementCount = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>, limits: XMLReader.Limits) {
        self.b = buffer
        self.n = buffer.count
        self.limits = limits
    }

    // MARK: Document

    mutating func parseDocument() throws(XMLError) -> XMLElement {
        try validateUTF8()
        if has([0xEF, 0xBB, 0xBF], at: 0) { i = 3 }
        // Prolog: whitespace, XML declaration, comments, PIs.
        while true {
            skipSpace()
            guard i < n else { throw .malformed(offset: i, reason: "no root element") }
            guard b[i] == ASCII.lt else { throw .malformed(offset: i, reason: "text before the root element") }
            if try skipMarkupOutsideRoot() { continue }
            break
        }
        let root = try parseElements()
        // Epilog.
        while true {
            skipSpace()
            if i >= n { break }
            guard b[i] == ASCII.lt, try skipMarkupOutsideRoot() else {
                throw .malformed(offset: i, reason: "content after the root element")
            }
        }
        return root
    }

    /// At `<` outside the root: skips a PI or comment and returns `true`; returns `false` at a
    /// start tag; throws for DOCTYPE, ENTITY and anything else.
    mutating func skipMarkupOutsideRoot() throws(XMLError) -> Bool {
        let start = i
        guard i + 1 < n else { throw .unterminated("markup") }
        let next = b[i + 1]
        if next == ASCII.question {
            try skipPI()
            return true
        }
        if next == ASCII.bang {
            if try skipDeclarationOrComment() { return true }
            throw .malformed(offset: start, reason: "CDATA outside the root element")
        }
        if next == ASCII.slash { throw .malformed(offset: start, reason: "end tag without start tag") }
        return false
    }

    /// At `<!`: skips a comment (returns `true`), returns `false` at `<![CDATA[` (not consumed),
    /// throws for DOCTYPE, ENTITY or other declarations.
    mutating func skipDeclarationOrComment() throws(XMLError) -> Bool {
        let start = i
        if has(ASCII.commentOpen, at: i) {
            guard let end = find(ASCII.commentClose, from: i + 4) else { throw .unterminated("comment") }
            i = end + 3
            return true
        }
        if has(ASCII.cdataOpen, at: i) { return false }
        if hasIgnoringCase(ASCII.doctype, at: i) { throw .doctypeForbidden(offset: start) }
        if hasIgnoringCase(ASCII.entity, at: i) { throw .entityForbidden(offset: start, name: "") }
        throw .malformed(offset: start, reason: "unsupported declaration")
    }

    /// At `<?`: skips to after `?>`.
    mutating func skipPI() throws(XMLError) {
        guard let end = find(ASCII.piClose, from: i + 2) else { throw .unterminated("processing instruction") }
        i = end + 2
    }

    // MARK: Elements

    /// At the root's `<`: parses the root element and everything inside it, iteratively.
    mutating func parseElements() throws(XMLError) -> XMLElement {
        var stack: [OpenElement] = []
        stack.reserveCapacity(8)
        if let leaf = try parseStartTag(depth: 1) {
            return leaf
        }
        // Moved out of `pendingOpen` (`take()`), not copied and then destroyed.
        guard let rootOpen = pendingOpen.take() else { throw .malformed(offset: i, reason: "no root element") }
        stack.append(rootOpen)

        // The open element is reached by index, never copied out of the stack (a copy retains its
        // name, text and children, and releases them again, on every step).
        while !stack.isEmpty {
            let top = stack.count - 1
            guard i < n else { throw .unterminated("element <\(XMLError.printable(stack[top].name))>") }
            let c = b[i]
            if c != ASCII.lt {
                try readText(into: &stack[top])
                continue
            }
            guard i + 1 < n else { throw .unterminated("element <\(XMLError.printable(stack[top].name))>") }
            let next = b[i + 1]
            if next == ASCII.slash {
                try parseEndTag(nameStart: stack[top].nameStart, nameEnd: stack[top].nameEnd, name: stack[top].name)
                guard let closed = stack.popLast() else { break }
                let element = finish(closed)
                if stack.isEmpty { return element }
                adopt(element, into: &stack[stack.count - 1])
            } else if next == ASCII.question {
                try skipPI()
            } else if next == ASCII.bang {
                // CDATA (the usual content of a WeCom field) is tested for first.
                if !has(ASCII.cdataOpen, at: i), try skipDeclarationOrComment() { continue }
                // CDATA section.
                let contentStart = i + 9
                guard let end = find(ASCII.cdataClose, from: contentStart) else {
                    throw .unterminated("CDATA section")
                }
                append(contentStart..<end, to: &stack[top])
                i = end + 3
            } else {
                if let leaf = try parseStartTag(depth: stack.count + 1) {
                    adopt(leaf, into: &stack[top])
                } else if let open = pendingOpen.take() {
                    stack.append(open)
                }
            }
        }
        throw .malformed(offset: i, reason: "no root element")
    }

    /// Set by ``parseStartTag(depth:)`` when the tag opened a non-empty element.
    var pendingOpen: OpenElement?

    /// At `<name`: parses a start tag. Returns the element when it is self-closing (`<a/>`);
    /// otherwise stores the open element in `pendingOpen` and returns `nil`.
    mutating func parseStartTag(depth: Int) throws(XMLError) -> XMLElement? {
        elementCount += 1
        guard elementCount <= limits.maxElements else { throw .tooManyElements(limit: limits.maxElements) }
        guard depth <= limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
        i += 1
        let (nameStart, nameEnd) = try readName()
        let name = string(nameStart..<nameEnd)
        // Attributes: tolerated, skipped.
        while true {
            skipSpace()
            guard i < n else { throw .unterminated("start tag <\(XMLError.printable(name))>") }
            let c = b[i]
            if c == ASCII.gt {
                i += 1
                pendingOpen = OpenElement(name: name, nameStart: nameStart, nameEnd: nameEnd)
                return nil
            }
            if c == ASCII.slash {
                guard i + 1 < n else { throw .unterminated("start tag <\(XMLError.printable(name))>") }
                guard b[i + 1] == ASCII.gt else { throw .malformed(offset: i, reason: "expected '/>'") }
                i += 2
                return XMLElement(name: name)
            }
            _ = try readName()
            skipSpace()
            guard i < n else { throw .unterminated("start tag <\(XMLError.printable(name))>") }
            guard b[i] == ASCII.equals else { throw .malformed(offset: i, reason: "expected '=' in attribute") }
            i += 1
            skipSpace()
            guard i < n else { throw .unterminated("start tag <\(XMLError.printable(name))>") }
            let quote = b[i]
            guard quote == ASCII.quote || quote == ASCII.apostrophe else {
                throw .malformed(offset: i, reason: "attribute value not quoted")
            }
            var j = i + 1
            while j < n, b[j] != quote {
                if b[j] == ASCII.lt { throw .malformed(offset: j, reason: "'<' in attribute value") }
                j += 1
            }
            guard j < n else { throw .unterminated("attribute value") }
            i = j + 1
        }
    }

    /// Appends a finished child to its parent, room for eight made at the first (a WeCom message has
    /// about that many fields; growing 1 → 2 → 4 → 8 reallocated three times).
    func adopt(_ child: XMLElement, into parent: inout OpenElement) {
        if parent.children.isEmpty { parent.children.reserveCapacity(8) }
        parent.children.append(child)
    }

    /// At `</`: checks the end tag matches the open element's name (input bytes
    /// `openStart..<openEnd`, `openName` for messages) and consumes it.
    mutating func parseEndTag(nameStart openStart: Int, nameEnd openEnd: Int, name openName: String) throws(XMLError) {
        // The usual `</name>`, the name exactly as opened and `>` right after it: the open name was
        // read by ``readName()`` (no delimiter in it), so the full path below would read the same.
        let close = i + 2 + (openEnd - openStart)
        if close < n, b[close] == ASCII.gt, sameBytes(i + 2, openStart, count: openEnd - openStart) {
            i = close + 1
            return
        }
        let start = i
        i += 2
        let (nameStart, nameEnd) = try readName()
        guard nameEnd - nameStart == openEnd - openStart,
              sameBytes(nameStart, openStart, count: nameEnd - nameStart)
        else {
            throw .malformed(offset: start, reason: "end tag </\(XMLError.printable(string(nameStart..<nameEnd)))> does not match <\(XMLError.printable(openName))>")
        }
        skipSpace()
        guard i < n else { throw .unterminated("end tag </\(XMLError.printable(openName))>") }
        guard b[i] == ASCII.gt else { throw .malformed(offset: i, reason: "expected '>'") }
        i += 1
    }

    /// Reads a name at `i` (up to whitespace, `/`, `>`, `=`); it must not be empty.
    mutating func readName() throws(XMLError) -> (Int, Int) {
        let start = i
        while i < n {
            let c = b[i]
            if ASCII.isSpace(c) || c == ASCII.slash || c == ASCII.gt || c == ASCII.equals { break }
            if c == ASCII.lt || c == ASCII.amp || c == ASCII.quote || c == ASCII.apostrophe
                || c == ASCII.bang || c == ASCII.question || c == ASCII.semicolon
            {
                throw .malformed(offset: i, reason: "invalid character in name")
            }
            i += 1
        }
        guard i < n else { throw .unterminated("tag") }
        guard i > start else { throw .malformed(offset: start, reason: "empty name") }
        return (start, i)
    }

    // MARK: Character data

    /// Reads text up to the next `<`, decoding references.
    mutating func readText(into element: inout OpenElement) throws(XMLError) {
        while i < n {
            let c = b[i]
            if c == ASCII.lt { return }
            if c == ASCII.amp {
                try readReference(into: &element)
                continue
            }
            let start = i
            while i < n, b[i] != ASCII.lt, b[i] != ASCII.amp { i += 1 }
            append(start..<i, to: &element)
        }
    }

    /// At `&`: decodes a predefined entity or a numeric character reference.
    mutating func readReference(into element: inout OpenElement) throws(XMLError) {
        let start = i
        var j = i + 1
        while j < n, j - start <= 32, b[j] != ASCII.semicolon, b[j] != ASCII.lt, !ASCII.isSpace(b[j]) { j += 1 }
        guard j < n, b[j] == ASCII.semicolon else {
            throw .malformed(offset: start, reason: "'&' not starting a reference")
        }
        let nameRange = (start + 1)..<j
        let name = string(nameRange)
        i = j + 1
        let decoded: String
        switch name {
        case "amp": decoded = "&"
        case "lt": decoded = "<"
        case "gt": decoded = ">"
        case "quot": decoded = "\""
        case "apos": decoded = "'"
        default:
            guard nameRange.lowerBound < n, b[nameRange.lowerBound] == ASCII.hash else {
                throw .entityForbidden(offset: start, name: name)
            }
            var digits = Substring(name.dropFirst())
            var radix = 10
            if digits.first == "x" {
                digits = digits.dropFirst()
                radix = 16
            }
            guard !digits.isEmpty, digits.count <= 8, let value = UInt32(digits, radix: radix),
                  let scalar = Unicode.Scalar(value), value != 0
            else {
                throw .malformed(offset: start, reason: "invalid character reference &\(XMLError.printable(name));")
            }
            decoded = String(Character(scalar))
        }
        materialize(&element)
        element.text.append(contentsOf: decoded.utf8)
    }

    /// Appends input bytes `range` as character data, normalising line ends.
    mutating func append(_ range: Range<Int>, to element: inout OpenElement) {
        if range.isEmpty { return }
        guard range.lowerBound >= 0, range.upperBound <= n, let base = b.baseAddress else { return }
        let hasCR = memchr(base + range.lowerBound, Int32(ASCII.cr), range.count) != nil
        if !hasCR {
            if element.single == nil, element.text.isEmpty {
                element.single = range
                return
            }
            materialize(&element)
            element.text.append(contentsOf: UnsafeBufferPointer(rebasing: b[range]))
            return
        }
        materialize(&element)
        var k = range.lowerBound
        while k < range.upperBound {
            let c = b[k]
            if c == ASCII.cr {
                element.text.append(ASCII.lf)
                if k + 1 < range.upperBound, b[k + 1] == ASCII.lf { k += 1 }
            } else {
                element.text.append(c)
            }
            k += 1
        }
    }

    /// Moves a pending single range into the byte buffer.
    func materialize(_ element: inout OpenElement) {
        if let single = element.single {
            element.text.append(contentsOf: UnsafeBufferPointer(rebasing: b[single]))
            element.single = nil
        }
    }

    func finish(_ open: OpenElement) -> XMLElement {
        let text: String
        if let single = open.single {
            text = string(single)
        } else if open.text.isEmpty {
            text = ""
        } else {
            text = String(decoding: open.text, as: UTF8.self)
        }
        return XMLElement(name: open.name, text: text, children: open.children)
    }

    // MARK: Helpers

    /// Bytes `range` as a string (the input was validated as UTF-8 and ranges end at ASCII
    /// delimiters, so decoding is exact).
    func string(_ range: Range<Int>) -> String {
        guard range.lowerBound >= 0, range.upperBound <= n, !range.isEmpty else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
    }

    mutating func skipSpace() {
        while i < n, ASCII.isSpace(b[i]) { i += 1 }
    }

    func has(_ pattern: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + pattern.count <= n, let base = b.baseAddress else { return false }
        return pattern.withUnsafeBufferPointer { p in
            guard let start = p.baseAddress else { return true }
            return memcmp(base + index, start, p.count) == 0
        }
    }

    func hasIgnoringCase(_ pattern: [UInt8], at index: Int) -> Bool {
        guard index >= 0, index + pattern.count <= n else { return false }
        for (k, p) in pattern.enumerated() {
            let c = b[index + k]
            let lower = (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
            let pLower = (p >= 0x41 && p <= 0x5A) ? p | 0x20 : p
            if lower != pLower { return false }
        }
        return true
    }

    /// The index of the first occurrence of `pattern` at or after `from`.
    func find(_ pattern: [UInt8], from: Int) -> Int? {
        guard let first = pattern.first, from >= 0, let base = b.baseAddress else { return nil }
        var k = from
        while k + pattern.count <= n {
            // memchr to the next candidate first byte (a CDATA section's content is skipped in one call).
            guard let hit = memchr(base + k, Int32(first), n - k) else { return nil }
            k = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
            guard k + pattern.count <= n else { return nil }
            if has(pattern, at: k) { return k }
            k += 1
        }
        return nil
    }

    func sameBytes(_ x: Int, _ y: Int, count: Int) -> Bool {
        guard x >= 0, y >= 0, count >= 0, x + count <= n, y + count <= n, let base = b.baseAddress else {
            return false
        }
        return memcmp(base + x, base + y, count) == 0
    }

    /// Checks the whole input is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
    func validateUTF8() throws(XMLError) {
        var k = 0
        while k < n {
            // The ASCII run first (WeCom's XML is mostly ASCII), eight bytes at a time.
            k = Bytes.asciiPrefixEnd(b, from: k)
            guard k < n else { return }
            let c0 = b[k]  // ≥ 0x80: the lead byte of a multi-byte sequence
            let length: Int
            var lowerBound: UInt8 = 0x80, upperBound: UInt8 = 0xBF
            switch c0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowerBound = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upperBound = 0x9F
            case 0xF0: length = 4; lowerBound = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upperBound = 0x8F
            default: throw .invalidUTF8(offset: k)
            }
            guard k + length <= n else { throw .invalidUTF8(offset: k) }
            let c1 = b[k + 1]
            guard c1 >= lowerBound, c1 <= upperBound else { throw .invalidUTF8(offset: k) }
            var m = 2
            while m < length {
                guard b[k + m] & 0xC0 == 0x80 else { throw .invalidUTF8(offset: k) }
                m += 1
            }
            k += length
        }
    }
}
