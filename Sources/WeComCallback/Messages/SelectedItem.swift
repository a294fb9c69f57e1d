/// One `SelectedItems/SelectedItem` of a `template_card_event` (spec §9): the options a user chose
/// for one question of a vote or multiple-interaction card.
public struct SelectedItem: Sendable, Equatable {
    /// `QuestionKey`.
    public var questionKey: String
    /// `OptionIds/OptionId`, in order.
    public var optionIDs: [String]

    /// Creates the value.
    public init(questionKey: String, optionIDs: [String]) {
        self.questionKey = questionKey
        self.optionIDs = optionIDs
    }

    init(_ r: FieldReader) throws(MessageError) {
        questionKey = try r.required("QuestionKey")
        optionIDs = (r.nested("OptionIds")?.element.children(named: "OptionId") ?? []).map(\.text)
    }
}
