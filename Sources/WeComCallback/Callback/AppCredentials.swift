import Foundation

/// The three secrets of one app (spec §1): corp id, Token and EncodingAESKey.
public struct AppCredentials: Sendable {
    public var corpID: String
    public var token: String
    public var encodingAESKey: String

    public init(corpID: String, token: String, encodingAESKey: String) {
        self.corpID = corpID
        self.token = token
        self.encodingAESKey = encodingAESKey
    }

    /// The original framework's environment variables.
    public static let environmentNames = (
        corpID: "WECOM_APP_CORP_ID", token: "WECOM_APP_TOKEN", encodingAESKey: "WECOM_APP_AES_KEY")

    /// Reads `WECOM_APP_CORP_ID`, `WECOM_APP_TOKEN` and `WECOM_APP_AES_KEY`.
    ///
    /// - Parameter environment: the process environment (injectable for tests).
    /// - Throws: ``CredentialError`` naming the first missing or empty variable (never a value).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(CredentialError) -> AppCredentials
    {
        func read(_ name: String) throws(CredentialError) -> String {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
            else { throw CredentialError(field: name, reason: "is not set") }
            return value
        }
        return AppCredentials(
            corpID: try read(environmentNames.corpID), token: try read(environmentNames.token),
            encodingAESKey: try read(environmentNames.encodingAESKey))
    }

    /// The crypto for these credentials.
    /// - Throws: ``CredentialError`` for an empty token or a malformed EncodingAESKey.
    public func makeCrypt(random: any RandomSource = SystemRandom()) throws(CredentialError) -> WXBizMsgCrypt {
        try WXBizMsgCrypt(token: token, encodingAESKey: encodingAESKey, receiveID: corpID, random: random)
    }
}
