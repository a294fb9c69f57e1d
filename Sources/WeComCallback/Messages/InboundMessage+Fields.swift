extension InboundMessage {
    /// Element names that always denote list items (spec §9 nested structures), indexed in paths
    /// and rendered as JSON arrays even when there is only one.
    public static let listElementNames: Set<String> = [
        "item", "Item", "SelectedItem", "OptionId", "ApprovalNode", "NotifyNode",
    ]

    /// Variant spellings and their canonical names (spec §11).
    public static let canonicalNames: [String: String] = ["AgentId": "AgentID", "ItemUserid": "ItemUserId"]

    /// The field view of a document (see ``fields``).
    /// - Parameter root: the root element.
    /// - Returns: leaf paths → texts.
    public static func fieldView(of root: XMLElement) -> [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(root.children.count + 4)
        collect(root, prefix: "", into: &out)
        return out
    }

    /// Whether `name` is one of ``listElementNames``: string comparisons against the six names
    /// instead of a hash per element (names are short, mostly compared by length alone).
    static func isListElementName(_ name: String) -> Bool {
        switch name {
        case "item", "Item", "SelectedItem", "OptionId", "ApprovalNode", "NotifyNode": return true
        default: return false
        }
    }

    /// ``canonicalNames``[`name`], by comparisons instead of a hash per element.
    static func canonicalName(of name: String) -> String? {
        switch name {
        case "AgentId": return "AgentID"
        case "ItemUserid": return "ItemUserId"
        default: return nil
        }
    }

    private static func collect(_ element: XMLElement, prefix: String, into out: inout [String: String]) {
        let children = element.children
        // Whether any name repeats, by a linear scan for the usual dozen children (two dictionaries of
        // counts per element cost more than the rest of the message parse); counted only when one does.
        var repeated = false
        if children.count > 64 {
            var names = Set<String>(minimumCapacity: children.count)
            for child in children where !names.insert(child.name).inserted { repeated = true }
        } else {
            search: for (index, child) in children.enumerated() {
                for later in children[(index + 1)...] where later.name == child.name {
                    repeated = true
                    break search
                }
            }
        }
        var counts: [String: Int] = [:]
        if repeated {
            for child in children { counts[child.name, default: 0] += 1 }
        }
        func occurrences(of name: String) -> Int {
            if repeated { return counts[name, default: 0] }
            return children.contains { $0.name == name } ? 1 : 0
        }
        var seen: [String: Int] = [:]
        for child in children {
            var path = prefix + child.name
            if isListElementName(child.name) || (repeated && occurrences(of: child.name) > 1) {
                let index = seen[child.name, default: 0]
                seen[child.name] = index + 1
                path += "/\(index)"
            }
            if child.isLeaf {
                out[path] = child.text
                if let canonical = canonicalName(of: child.name), occurrences(of: canonical) == 0 {
                    out[prefix + canonical + path.dropFirst(prefix.count + child.name.count)] = child.text
                }
            } else {
                collect(child, prefix: path + "/", into: &out)
            }
        }
    }
}
