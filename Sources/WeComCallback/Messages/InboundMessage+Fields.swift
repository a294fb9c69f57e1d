import Platform

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

/// The field view of one message (``InboundMessage/fields``), built from its document on first use and
/// then kept: the view costs a dictionary entry per element, and most requests never read it.
///
/// Shared by the copies of a message (a reference, so copies build it at most once); thread-safe (a
/// message goes to a program's thread). Setting ``InboundMessage/fields`` makes a new one.
final class FieldView: Sendable {
    /// The document the view is built from; `nil` for a view given as a dictionary.
    let root: XMLElement?
    /// The view once built (or as given).
    private let built: Locked<[String: String]?>

    /// The view of `root`, built on first use.
    init(root: XMLElement) {
        self.root = root
        built = Locked(nil)
    }

    /// A view given whole.
    init(fields: [String: String]) {
        root = nil
        built = Locked(fields)
    }

    /// Leaf paths → texts (``InboundMessage/fieldView(of:)`` of the document).
    var fields: [String: String] {
        built.withLock { built in
            if let built { return built }
            let view = root.map(InboundMessage.fieldView(of:)) ?? [:]
            built = view
            return view
        }
    }

    /// `fields[name]` for a child of the root, read from the document without building the view.
    ///
    /// Exact for a `name` without `/` that is neither a list element name nor a canonical spelling
    /// (`Event`, `EventKey`): the view has such a key only for a single leaf child of that name.
    /// - Returns: that child's text, or `nil` when there is none, several, or it has children.
    func rootLeaf(_ name: String) -> String? {
        guard let root else { return built.withLock { $0?[name] } }
        var found: XMLElement?
        for child in root.children where child.name == name {
            guard found == nil else { return nil }
            found = child
        }
        guard let found, found.isLeaf else { return nil }
        return found.text
    }
}
