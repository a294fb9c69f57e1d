extension XMLElement {
    /// The element re-rendered for people: one element per line, two spaces of indentation per level,
    /// leaf text in CDATA (``XMLText/cdata(_:)``) unless it is a decimal number.
    ///
    /// Text that is only whitespace around child elements is dropped; the result is for display, not
    /// for byte-exact comparison.
    /// - Parameter indent: the nesting level of this element.
    /// - Returns: the XML, without a trailing newline.
    public func prettyXML(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        guard !children.isEmpty else {
            if text.isEmpty { return "\(pad)<\(name)></\(name)>" }
            let isNumber = !text.isEmpty && text.utf8.allSatisfy { (48...57).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
            return "\(pad)<\(name)>\(isNumber ? text : XMLText.cdata(text))</\(name)>"
        }
        return (["\(pad)<\(name)>"] + children.map { $0.prettyXML(indent: indent + 1) } + ["\(pad)</\(name)>"])
            .joined(separator: "\n")
    }
}
