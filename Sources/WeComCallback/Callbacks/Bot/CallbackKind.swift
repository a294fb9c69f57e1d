/// Which envelopes a ``CallbackApp`` speaks; the only difference ``CallbackHandler`` knows between an
/// app and an AI bot.
public enum CallbackKind: Sendable, Equatable {
    /// An app (spec `wecom-callback.md`): XML envelope `<xml><Encrypt/>…</xml>`, XML reply envelope,
    /// receiveid = the corp id.
    case app
    /// An AI bot (spec `wecom-aibot.md` §1): JSON `{"encrypt"}` in, JSON
    /// `{"encrypt","msgsignature","timestamp","nonce"}` out, receiveid = "".
    case bot
}
