/// The `TemplateCard` of an `update_template_card` passive reply (spec §10.1): the same card as the
/// send API's JSON `template_card`, as a generic element tree with UpperCamelCase names.
public struct TemplateCard: Sendable, Equatable {
    /// One element of the card.
    public struct Element: Sendable, Equatable {
        /// What an element holds.
        public enum Value: Sendable, Equatable {
            /// Free text, rendered in CDATA.
            case text(String)
            /// A number or boolean, rendered bare (spec §11: numbers as bare text).
            case bare(String)
            /// Child elements.
            case children([Element])
        }

        /// The element name (UpperCamelCase, e.g. `MainTitle`).
        public var name: String
        /// Its content.
        public var value: Value

        /// Creates an element.
        public init(name: String, value: Value) {
            self.name = name
            self.value = value
        }
    }

    /// The children of `<TemplateCard>`, in rendering order.
    public var elements: [Element]

    /// Creates a card from elements.
    /// - Parameter elements: the children of `<TemplateCard>` (`CardType` first, by convention).
    public init(elements: [Element]) {
        self.elements = elements
    }

    /// `main_title` → `MainTitle`; keys already starting with an uppercase letter are kept.
    /// - Parameter key: a JSON key.
    /// - Returns: the element name.
    public static func elementName(forKey key: String) -> String {
        if let first = key.unicodeScalars.first, ("A"..."Z").contains(first) { return key }
        return key.split(separator: "_").map { part in part.prefix(1).uppercased() + part.dropFirst() }.joined()
    }
}
