import Platform

/// The owner to give a unix socket file (`--socket-owner user:group`); either part may be omitted.
public struct SocketOwner: Sendable, Equatable, CustomStringConvertible {
    /// The user id, or `nil` to leave the owner unchanged.
    public var userID: UInt32?
    /// The group id, or `nil` to leave the group unchanged.
    public var groupID: UInt32?
    /// The text this was parsed from, for logs.
    public var description: String

    /// Parses `user:group`, `user`, `:group` (names or numeric ids) and looks the names up.
    /// - Parameter text: the `--socket-owner` value.
    /// - Throws: `FastCGIError.unknownOwner` when a name is unknown or both parts are empty.
    public init(parsing text: String) throws(FastCGIError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts.first ?? ""
        let groupPart = parts.count > 1 ? parts[1] : ""
        guard !userPart.isEmpty || !groupPart.isEmpty else { throw .unknownOwner(text) }
        description = text
        if userPart.isEmpty {
            userID = nil
        } else if let numeric = UInt32(userPart) {
            userID = numeric
        } else if let entry = getpwnam(userPart) {
            userID = entry.pointee.pw_uid
        } else {
            throw .unknownOwner(text)
        }
        if groupPart.isEmpty {
            groupID = nil
        } else if let numeric = UInt32(groupPart) {
            groupID = numeric
        } else if let entry = getgrnam(groupPart) {
            groupID = entry.pointee.gr_gid
        } else {
            throw .unknownOwner(text)
        }
    }
}
