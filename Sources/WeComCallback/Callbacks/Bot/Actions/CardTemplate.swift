/// A template card as configured (`card = { … }`, a TOML table): its strings are templates over the
/// message's JSON paths, rendered per message into the card object (spec `wecom-aibot.md` §4).
indirect enum CardTemplate: Sendable {
    case string(MessageTemplate)
    case value(JSONValue)
    case array([CardTemplate])
    case object([String: CardTemplate])

    /// Reads `card` from a route table.
    /// - Returns: the card (a table), or `nil` after reporting the problem.
    static func load(_ table: [String: ConfigValue], action: String, at path: String, loader: inout ConfigLoader) -> CardTemplate? {
        guard let value = table["card"] else {
            loader.error("\(path).card", "missing (action \"\(action)\" needs it)")
            return nil
        }
        guard case .table = value else {
            loader.error("\(path).card", "must be a table (card = { card_type = \"text_notice\", … }), not \(ConfigLoader.article(value.typeName))")
            return nil
        }
        return convert(value, at: "\(path).card", loader: &loader)
    }

    private static func convert(_ value: ConfigValue, at path: String, loader: inout ConfigLoader) -> CardTemplate? {
        switch value {
        case .string(let source):
            do {
                return .string(try MessageTemplate(source))
            } catch {
                loader.error(path, error.description)
                return nil
            }
        case .integer(let i): return .value(.int(Int64(i)))
        case .float(let d): return .value(.double(d))
        case .boolean(let b): return .value(.bool(b))
        case .dateTime(let text): return .value(.string(text))
        case .array(let items):
            var out: [CardTemplate] = []
            for (i, item) in items.enumerated() {
                guard let converted = convert(item, at: "\(path)[\(i)]", loader: &loader) else { return nil }
                out.append(converted)
            }
            return .array(out)
        case .table(let members):
            var out: [String: CardTemplate] = [:]
            for (key, member) in members {
                guard let converted = convert(member, at: "\(path).\(key)", loader: &loader) else { return nil }
                out[key] = converted
            }
            return .object(out)
        }
    }

    /// The card for one message.
    /// - Parameter fields: the message's template view.
    func render(_ fields: [String: String]) -> JSONValue {
        switch self {
        case .string(let template): return .string(template.render(fields))
        case .value(let value): return value
        case .array(let items): return .array(items.map { $0.render(fields) })
        case .object(let members): return .object(members.mapValues { $0.render(fields) })
        }
    }
}
