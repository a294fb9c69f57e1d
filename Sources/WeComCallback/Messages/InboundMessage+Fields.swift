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

    private static func collect(_ element: XMLElement, prefix: String, into out: inout [String: String]) {
        var counts: [String: Int] = [:]
        var repeated = false
        for child in element.children {
            counts[child.name, default: 0] += 1
            if counts[child.name, default: 0] > 1 { repeated = true }
        }
        var seen: [String: Int] = [:]
        for child in element.children {
            var path = prefix + child.name
            if listElementNames.contains(child.name) || (repeated && counts[child.name, default: 0] > 1) {
                let index = seen[child.name, default: 0]
                seen[child.name] = index + 1
                path += "/\(index)"
            }
            if child.isLeaf {
                out[path] = child.text
                if let canonical = canonicalNames[child.name], counts[canonical] == nil {
                    out[prefix + canonical + path.dropFirst(prefix.count + child.name.count)] = child.text
                }
            } else {
                collect(child, prefix: path + "/", into: &out)
            }
        }
    }
}
