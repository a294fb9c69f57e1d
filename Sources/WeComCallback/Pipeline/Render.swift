extension MessagePipeline {
    /// Stage 7: the passive reply's plaintext XML (spec §10): `ToUserName` = the sender,
    /// `FromUserName` = the corp id, `CreateTime` = now in Unix seconds. ``CallbackHandler`` encrypts it.
    /// - Returns: UTF-8 XML bytes.
    func render(_ reply: PassiveReply, to message: InboundMessage, corpID: String) -> [UInt8] {
        reply.renderXMLBytes(toUser: message.fromUserName, fromUser: corpID, createTime: Int64(now().timeIntervalSince1970))
    }
}
