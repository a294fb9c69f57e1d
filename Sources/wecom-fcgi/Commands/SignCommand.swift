/// `wecom-fcgi sign`: the top-level alias of `wecom-fcgi crypto sign` (msg_signature of spec §3).
/// The same command type, registered twice, so the two can never drift apart.
typealias SignCommand = CryptoCommand.Sign
