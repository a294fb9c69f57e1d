import Foundation

extension TemplateCard {
    /// Nesting and size limits for cards coming from JSON.
    static let maxDepth = 12
    static let maxElements = 1024

    /// Converts the JSON card (`template_card` of the send API) into elements (spec §10.1): keys
    /// snake_case → UpperCamelCase, objects → nested elements, arrays → the element repeated (no
    /// wrapper), strings → CDATA text, numbers and booleans → bare text, `null` → omitted.
    /// JSON objects have no order, so keys are rendered sorted, except `CardType` which comes first.
    /// - Parameter json: the card object.
    /// - Throws: ``ReplyError/wrongType(field:expected:)`` for arrays of arrays,
    ///   ``ReplyError/tooComplex(_:)`` beyond 12 levels or 1024 elements.
    public init(json: [String: Any]) throws(ReplyError) {
        var count = 0
        elements = try Self.elements(json, path: "TemplateCard", depth: 1, count: &count)
    }

    private static func elements(_ object: [String: Any], path: String, depth: Int, count: inout Int)
        throws(ReplyError) -> [Element]
    {
        guard depth <= maxDepth else { throw .tooComplex("nested deeper than \(maxDepth)") }
        let named = object.map { (name: elementName(forKey: $0.key), value: $0.value) }
            .sorted { a, b in
                if (a.name == "CardType") != (b.name == "CardType") { return a.name == "CardType" }
                return a.name.unicodeScalars.lexicographicallyPrecedes(b.name.unicodeScalars)
            }
        var out: [Element] = []
        for (name, value) in named {
            let items: [Any] = (value as? [Any]) ?? [value]
            for item in items {
                count += 1
                guard count <= maxElements else { throw .tooComplex("more than \(maxElements) elements") }
                if let nested = item as? [String: Any] {
                    out.append(Element(name: name, value: .children(
                        try elements(nested, path: path + "/" + name, depth: depth + 1, count: &count))))
                } else if let text = item as? String {
                    out.append(Element(name: name, value: .text(text)))
                } else if item is NSNull {
                    continue
                } else if let bare = JSONText.scalar(item) {
                    out.append(Element(name: name, value: .bare(bare)))
                } else {
                    throw .wrongType(field: path + "/" + name, expected: "an object, string, number or array of those")
                }
            }
        }
        return out
    }
}
