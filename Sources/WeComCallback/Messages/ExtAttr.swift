/// One `ExtAttr/Item` of a `change_contact` user event (spec §9): a custom profile attribute.
public struct ExtAttr: Sendable, Equatable {
    /// The attribute's value by `Type`.
    public enum Value: Sendable, Equatable {
        /// `Type` 0: `<Text><Value>…</Value></Text>`.
        case text(String)
        /// `Type` 1: `<Web><Title>…</Title><Url>…</Url></Web>`.
        case web(title: String, url: String)
        /// Any other type; the raw fields remain in ``InboundMessage/fields``.
        case other(type: Int?)
    }

    /// `Name`.
    public var name: String
    /// The typed value.
    public var value: Value

    /// Creates the value.
    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    init(_ r: FieldReader) throws(MessageError) {
        name = try r.required("Name")
        let type = try r.int("Type")
        if let text = r.nested("Text"), type == 0 || type == nil {
            value = .text(text.string("Value") ?? "")
        } else if let web = r.nested("Web"), type == 1 || type == nil {
            value = .web(title: web.string("Title") ?? "", url: web.string("Url") ?? "")
        } else {
            value = .other(type: type)
        }
    }
}
