/// An inbound event (`MsgType` = `event`, spec §9), by its `Event` value (case-sensitive: all
/// lowercase except `LOCATION`). Menu events carry the menu `EventKey` as `key`.
public enum InboundEvent: Sendable, Equatable {
    /// `subscribe`: a member entered the app's visible range.
    case subscribe
    /// `unsubscribe`: a member left the app's visible range.
    case unsubscribe
    /// `enter_agent`: a member opened the app.
    case enterAgent
    /// `LOCATION`: reported position — `Latitude`, `Longitude`, `Precision` (degrees / metres) and `AppType`.
    case location(latitude: Double, longitude: Double, precision: Double?, appType: String?)
    /// `batch_job_result`: an asynchronous contact job finished.
    case batchJobResult(BatchJob)
    /// `change_contact`: a contact changed, by `ChangeType`.
    case changeContact(ContactChange)
    /// `click`: a click menu button; `key` = `EventKey`.
    case click(key: String)
    /// `view`: a menu link was opened; `url` = `EventKey`.
    case view(url: String)
    /// `view_miniprogram`: a menu opened a mini program; `path` = `EventKey`.
    case viewMiniprogram(path: String)
    /// `scancode_push`: a scan menu (result pushed to the client).
    case scancodePush(key: String, ScanCodeInfo)
    /// `scancode_waitmsg`: a scan menu (client waits for our reply).
    case scancodeWaitmsg(key: String, ScanCodeInfo)
    /// `pic_sysphoto`: pictures taken with the camera.
    case picSysphoto(key: String, SendPicsInfo)
    /// `pic_photo_or_album`: pictures from camera or album.
    case picPhotoOrAlbum(key: String, SendPicsInfo)
    /// `pic_weixin`: pictures from the WeCom album.
    case picWeixin(key: String, SendPicsInfo)
    /// `location_select`: a location picked from a menu; `appType` = `AppType`.
    case locationSelect(key: String, SendLocationInfo, appType: String?)
    /// `open_approval_change`: an approval started by the app changed state.
    case openApprovalChange(ApprovalInfo)
    /// `taskcard_click` (legacy task card): `key` = the button key, `taskID` = `TaskId`.
    case taskcardClick(key: String, taskID: String)
    /// `template_card_event`: a button of a template card was clicked.
    case templateCardEvent(TemplateCardEvent)
    /// `template_card_menu_event`: an entry of a template card's action menu was chosen.
    case templateCardMenuEvent(TemplateCardEvent)
    /// `share_agent_change`: the app was shared/unshared to a child corp (企业互联).
    case shareAgentChange
    /// `share_chain_change`: the app was shared/unshared along the upstream/downstream chain (上下游).
    case shareChainChange
    /// `inactive_alert`: the app will be suspended for inactivity at `EffectTime` (Unix seconds).
    case inactiveAlert(effectTime: Int64?)
    /// `close_inactive_agent`: the app was suspended for inactivity.
    case closeInactiveAgent
    /// `reopen_inactive_agent`: the app was re-enabled.
    case reopenInactiveAgent
    /// `low_active_alert`: low-activity warning.
    case lowActiveAlert
    /// `low_active`: the app is in the low-activity state.
    case lowActive
    /// `active_restored`: activity restored.
    case activeRestored
    /// Any other `Event` value, as sent; every field stays in ``InboundMessage/fields``.
    case unknown(event: String, fields: [String: String])

    init(event: String, _ r: FieldReader, fields: @autoclosure () -> [String: String]) throws(MessageError) {
        func key() throws(MessageError) -> String { try r.required("EventKey") }
        switch event {
        case "subscribe": self = .subscribe
        case "unsubscribe": self = .unsubscribe
        case "enter_agent": self = .enterAgent
        case "LOCATION":
            self = .location(latitude: try r.requiredDouble("Latitude"), longitude: try r.requiredDouble("Longitude"),
                             precision: try r.double("Precision"), appType: r.string("AppType"))
        case "batch_job_result":
            self = .batchJobResult(try BatchJob(r.nested("BatchJob") ?? r))
        case "change_contact":
            guard let changeType = r.token("ChangeType") else { throw .missingField("ChangeType") }
            self = .changeContact(try ContactChange(changeType: changeType, r))
        case "click": self = .click(key: try key())
        case "view": self = .view(url: try key())
        case "view_miniprogram": self = .viewMiniprogram(path: try key())
        case "scancode_push": self = .scancodePush(key: try key(), try ScanCodeInfo(try r.requiredNested("ScanCodeInfo")))
        case "scancode_waitmsg":
            self = .scancodeWaitmsg(key: try key(), try ScanCodeInfo(try r.requiredNested("ScanCodeInfo")))
        case "pic_sysphoto": self = .picSysphoto(key: try key(), try SendPicsInfo(try r.requiredNested("SendPicsInfo")))
        case "pic_photo_or_album":
            self = .picPhotoOrAlbum(key: try key(), try SendPicsInfo(try r.requiredNested("SendPicsInfo")))
        case "pic_weixin": self = .picWeixin(key: try key(), try SendPicsInfo(try r.requiredNested("SendPicsInfo")))
        case "location_select":
            self = .locationSelect(key: try key(), try SendLocationInfo(try r.requiredNested("SendLocationInfo")),
                                   appType: r.string("AppType"))
        case "open_approval_change": self = .openApprovalChange(try ApprovalInfo(try r.requiredNested("ApprovalInfo")))
        case "taskcard_click": self = .taskcardClick(key: try key(), taskID: try r.required("TaskId", "TaskID"))
        case "template_card_event": self = .templateCardEvent(try TemplateCardEvent(r))
        case "template_card_menu_event": self = .templateCardMenuEvent(try TemplateCardEvent(r))
        case "share_agent_change": self = .shareAgentChange
        case "share_chain_change": self = .shareChainChange
        case "inactive_alert": self = .inactiveAlert(effectTime: try r.int64("EffectTime"))
        case "close_inactive_agent": self = .closeInactiveAgent
        case "reopen_inactive_agent": self = .reopenInactiveAgent
        case "low_active_alert": self = .lowActiveAlert
        case "low_active": self = .lowActive
        case "active_restored": self = .activeRestored
        default: self = .unknown(event: event, fields: fields())
        }
    }
}
