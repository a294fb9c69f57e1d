/// One element of a parsed XML document: its name, its character data and its child elements.
///
/// A value type (spec §11: WeCom XML is a flat-ish tree of elements without attributes).
/// `text` is the concatenation of all character data directly inside the element, in order:
/// plain text with entities decoded, and CDATA sections verbatim (adjacent sections joined, so
/// `<![CDATA[a]]]]><![CDATA[>b]]>` reads `a]]>b`). For elements with children it usually holds
/// only the whitespace between them. Attributes are not kept.
public struct XMLElement: Sendable, Equatable, Hashable {
    /// The element name exactly as written (case-sensitive).
    public var name: String
    /// The element's own character data (see the type's documentation).
    public var text: String
    /// The child elements in document order.
    public var children: [XMLElement]

    /// Creates an element.
    /// - Parameters:
    ///   - name: the element name.
    ///   - text: its character data (not escaped).
    ///   - children: its child elements, in order.
    public init(name: String, text: String = "", children: [XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// Whether the element has no child elements (a "field" in WeCom terms).
    public var isLeaf: Bool { children.isEmpty }

    /// The first child named `name`.
    /// - Parameter name: an element name (exact, case-sensitive).
    /// - Returns: the child, or `nil` when there is none.
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// The first child whose name is any of `names`, tried in order (for spelling variants such as
    /// `AgentID`/`AgentId`, spec §11).
    /// - Parameter names: the accepted spellings, preferred first.
    /// - Returns: the child, or `nil` when there is none.
    public func child(anyOf names: [String]) -> XMLElement? {
        for name in names {
            if let found = child(name) { return found }
        }
        return nil
    }

    /// All children named `name`, in document order (repeated elements express lists, spec §9).
    /// - Parameter name: an element name.
    /// - Returns: the matching children, possibly empty.
    public func children(named name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }
}
