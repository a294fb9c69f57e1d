/// Typed access to the children of one element, with paths for error messages (spec §11: values
/// stay strings until a typed accessor converts them; whitespace around numbers is tolerated;
/// CDATA or not makes no difference).
struct FieldReader {
    let element: XMLElement
    /// Path of `element` from the root, `""` for the root, else `"A/B/"`.
    let prefix: String

    init(_ element: XMLElement, prefix: String = "") {
        self.element = element
        self.prefix = prefix
    }

    /// The text of the first child named any of `names`, untouched.
    func string(_ name: String, _ variants: String...) -> String? {
        first(name, variants)?.text
    }

    /// The first child named `name`, else the first named one of `variants` (tried in order); no
    /// array of all the names is built for the usual hit on `name`.
    private func first(_ name: String, _ variants: [String]) -> XMLElement? {
        if let found = element.child(name) { return found }
        return variants.isEmpty ? nil : element.child(anyOf: variants)
    }

    func required(_ name: String, _ variants: String...) throws(MessageError) -> String {
        guard let value = first(name, variants)?.text else {
            throw .missingField(prefix + name)
        }
        return value
    }

    /// Trimmed text, `nil` when absent or blank.
    func token(_ name: String, _ variants: String...) -> String? {
        trimmedToken(first(name, variants)?.text)
    }

    /// ``token(_:_:)`` of `name`, else of `variant`, without the variadic array (every message reads
    /// `MsgId`/`MsgID` this way).
    func token(either name: String, _ variant: String) -> String? {
        trimmedToken((element.child(name) ?? element.child(variant))?.text)
    }

    private func trimmedToken(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let trimmed = raw.trimmingASCIIWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    private func number<T>(_ name: String, _ variants: [String], required: Bool, _ convert: (String) -> T?)
        throws(MessageError) -> T?
    {
        try number(first(name, variants)?.text, name: name, required: required, convert)
    }

    /// The number in `raw`, the text found for `name` (or a variant of it; errors name `name`).
    private func number<T>(_ raw: String?, name: String, required: Bool, _ convert: (String) -> T?)
        throws(MessageError) -> T?
    {
        guard let raw else {
            if required { throw .missingField(prefix + name) }
            return nil
        }
        let trimmed = raw.trimmingASCIIWhitespace()
        if trimmed.isEmpty {
            if required { throw .invalidValue(field: prefix + name, value: raw) }
            return nil
        }
        guard let value = convert(trimmed) else { throw .invalidValue(field: prefix + name, value: raw) }
        return value
    }

    func int(_ name: String, _ variants: String...) throws(MessageError) -> Int? {
        try number(name, variants, required: false) { Int($0) }
    }

    func int64(_ name: String, _ variants: String...) throws(MessageError) -> Int64? {
        try number(name, variants, required: false) { Int64($0) }
    }

    /// ``int64(_:_:)`` of `name`, else of `variant`, without the variadic array (every message reads
    /// `AgentID`/`AgentId` this way).
    func int64(either name: String, _ variant: String) throws(MessageError) -> Int64? {
        try number((element.child(name) ?? element.child(variant))?.text, name: name, required: false) { Int64($0) }
    }

    func requiredInt64(_ name: String, _ variants: String...) throws(MessageError) -> Int64 {
        guard let value = try number(name, variants, required: true, { Int64($0) }) else {
            throw .missingField(prefix + name)
        }
        return value
    }

    func requiredInt(_ name: String) throws(MessageError) -> Int {
        guard let value = try number(name, [], required: true, { Int($0) }) else { throw .missingField(prefix + name) }
        return value
    }

    func double(_ name: String) throws(MessageError) -> Double? {
        try number(name, [], required: false) { Double($0).flatMap { $0.isFinite ? $0 : nil } }
    }

    func requiredDouble(_ name: String) throws(MessageError) -> Double {
        guard let value = try number(name, [], required: true, { Double($0).flatMap { $0.isFinite ? $0 : nil } }) else {
            throw .missingField(prefix + name)
        }
        return value
    }

    /// The child element `name` as a reader, if present.
    func nested(_ name: String) -> FieldReader? {
        element.child(name).map { FieldReader($0, prefix: prefix + name + "/") }
    }

    func requiredNested(_ name: String) throws(MessageError) -> FieldReader {
        guard let reader = nested(name) else { throw .missingField(prefix + name) }
        return reader
    }

    /// Every child named `name` as a reader.
    func list(_ name: String) -> [FieldReader] {
        element.children(named: name).enumerated().map { FieldReader($1, prefix: prefix + name + "/\($0)/") }
    }

    /// A comma-separated list (`1,2,3`), trimmed, empty items dropped; `nil` when absent.
    func commaList(_ name: String) -> [String]? {
        guard let raw = element.child(name)?.text else { return nil }
        return raw.split(separator: ",").map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
    }
}
