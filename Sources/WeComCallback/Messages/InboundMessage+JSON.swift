import Foundation

extension InboundMessage {
    /// The JSON form given to external programs (their stdin): an object whose keys are the XML
    /// element names; nested elements become objects; list items (``listElementNames``) and repeated
    /// elements become arrays; every value is a string exactly as in the XML (`MsgId`, `CreateTime`
    /// included). `AgentId`/`ItemUserid` are also given under their canonical names.
    ///
    /// - Returns: a `[String: Any]` tree of `String`, `[Any]` and `[String: Any]`.
    public func jsonObject() -> [String: Any] {
        Self.jsonObject(of: root)
    }

    /// ``jsonObject()`` serialised: UTF-8, no whitespace, keys sorted by code point (the same on
    /// every platform), `/` and non-ASCII not escaped, control characters as `\u00XX` (or `\n`, `\t` …).
    /// - Returns: the JSON bytes.
    public func jsonData() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        JSONText.write(jsonObject(), to: &out)
        return out
    }

    /// Parses the JSON form back (round trip of ``jsonData()``): arrays become repeated elements,
    /// numbers and booleans their text; element order follows the sorted keys.
    /// - Parameters:
    ///   - json: a JSON object as produced by ``jsonData()``.
    ///   - limits: the same limits as for XML (depth, element count).
    /// - Throws: ``MessageError/invalidJSON(_:)`` when it is not a JSON object within the limits, else
    ///   as ``init(root:)``.
    public init(json: [UInt8], limits: XMLReader.Limits = .wecom) throws(MessageError) {
        guard json.count <= limits.maxBytes else { throw .invalidJSON("more than \(limits.maxBytes) bytes") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw .invalidJSON("not JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw .invalidJSON("not an object") }
        var count = 1
        let children = try Self.elements(from: dictionary, depth: 2, count: &count, limits: limits)
        try self.init(root: XMLElement(name: "xml", children: children))
    }

    static func jsonObject(of element: XMLElement) -> [String: Any] {
        var object: [String: Any] = [:]
        var order: [String] = []
        var groups: [String: [XMLElement]] = [:]
        for child in element.children {
            if groups[child.name] == nil { order.append(child.name) }
            groups[child.name, default: []].append(child)
        }
        for name in order {
            let group = groups[name] ?? []
            let values: [Any] = group.map { $0.isLeaf ? $0.text as Any : jsonObject(of: $0) as Any }
            if group.count > 1 || listElementNames.contains(name) {
                object[name] = values
            } else if let value = values.first {
                object[name] = value
            }
        }
        for (variant, canonical) in canonicalNames where object[canonical] == nil {
            if let value = object[variant] { object[canonical] = value }
        }
        return object
    }

    private static func elements(from object: [String: Any], depth: Int, count: inout Int, limits: XMLReader.Limits)
        throws(MessageError) -> [XMLElement]
    {
        guard depth <= limits.maxDepth else { throw .invalidJSON("nested deeper than \(limits.maxDepth)") }
        var out: [XMLElement] = []
        for key in object.keys.sorted() {
            guard let value = object[key] else { continue }
            let items: [Any] = (value as? [Any]) ?? [value]
            for item in items {
                count += 1
                guard count <= limits.maxElements else { throw .invalidJSON("more than \(limits.maxElements) elements") }
                if let nested = item as? [String: Any] {
                    out.append(XMLElement(name: key, children: try elements(from: nested, depth: depth + 1, count: &count, limits: limits)))
                } else if let text = JSONText.scalar(item) {
                    out.append(XMLElement(name: key, text: text))
                } else if item is [Any] {
                    throw .invalidJSON("nested array under \(XMLError.printable(key))")
                }
            }
        }
        return out
    }
}

/// Turning JSON scalars into element text.
enum JSONText {
    /// The text of a JSON string, number or boolean; `nil` for null, arrays and objects.
    static func scalar(_ value: Any) -> String? {
        if let string = value as? String { return string }
        if value is NSNull { return nil }
        if let number = value as? NSNumber {
            // JSONSerialization gives booleans as NSNumbers of ObjC type "c" (on Darwin and Linux).
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        }
        return nil
    }

    /// Writes a tree of `String`, `[Any]` and `[String: Any]` as compact JSON with sorted keys.
    static func write(_ value: Any, to out: inout [UInt8]) {
        if let string = value as? String {
            writeString(string, to: &out)
        } else if let array = value as? [Any] {
            out.append(UInt8(ascii: "["))
            for (k, item) in array.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                write(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        } else if let object = value as? [String: Any] {
            out.append(UInt8(ascii: "{"))
            for (k, key) in object.keys.sorted(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }).enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(object[key] ?? "", to: &out)
            }
            out.append(UInt8(ascii: "}"))
        } else if let raw = value as? RawJSON {
            out.append(contentsOf: raw.text.utf8)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    static func writeString(_ string: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
