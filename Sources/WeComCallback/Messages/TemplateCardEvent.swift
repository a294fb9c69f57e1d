/// The fields of `template_card_event` and `template_card_menu_event` (spec §9).
public struct TemplateCardEvent: Sendable, Equatable {
    /// `EventKey`: the clicked button's or menu entry's key.
    public var eventKey: String?
    /// `TaskId`: the card's task id.
    public var taskID: String
    /// `CardType`: text_notice, news_notice, button_interaction, vote_interaction, multiple_interaction.
    public var cardType: String?
    /// `ResponseCode`: single-use code for `message/update_template_card` (valid 72 h per the doc).
    public var responseCode: String?
    /// `SelectedItems/SelectedItem` (vote / multiple-interaction cards); empty when absent.
    public var selectedItems: [SelectedItem]

    /// Creates the value.
    public init(eventKey: String?, taskID: String, cardType: String?, responseCode: String?,
                selectedItems: [SelectedItem] = [])
    {
        self.eventKey = eventKey
        self.taskID = taskID
        self.cardType = cardType
        self.responseCode = responseCode
        self.selectedItems = selectedItems
    }

    init(_ r: FieldReader) throws(MessageError) {
        eventKey = r.string("EventKey")
        taskID = try r.required("TaskId", "TaskID")
        cardType = r.token("CardType")
        responseCode = r.string("ResponseCode")
        var items: [SelectedItem] = []
        for item in r.nested("SelectedItems")?.list("SelectedItem") ?? [] { items.append(try SelectedItem(item)) }
        selectedItems = items
    }
}
