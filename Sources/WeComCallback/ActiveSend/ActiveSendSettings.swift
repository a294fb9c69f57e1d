import Foundation

/// An app's active-send settings: `corp_secret` (from `corp_secret`, `corp_secret_env` or
/// `corp_secret_file`) and `api_base`.
public struct ActiveSendSettings: Sendable, Equatable, CustomStringConvertible {
    /// The app's Secret for `gettoken`; never printed.
    public var corpSecret: String
    /// The API root without a trailing slash (default ``WeComAPIClient/defaultAPIBase``).
    public var apiBase: String

    /// Creates settings.
    /// - Parameters:
    ///   - corpSecret: the app's Secret.
    ///   - apiBase: the API root; trailing slashes are removed.
    public init(corpSecret: String, apiBase: String = WeComAPIClient.defaultAPIBase) {
        self.corpSecret = corpSecret
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        self.apiBase = base
    }

    /// Why an `api_base` value is unusable, or `nil` when it is an `http`/`https` URL with a host
    /// and no query, fragment or user info.
    /// - Parameter apiBase: the configured text.
    /// - Returns: the problem in a few words, or `nil`.
    public static func problem(apiBase: String) -> String? {
        guard let components = URLComponents(string: apiBase), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return "must be an http:// or https:// URL with a host" }
        if components.query != nil || components.fragment != nil || components.user != nil {
            return "must not have a query, fragment or user info"
        }
        return nil
    }

    /// Whether `api_base` sends the secret in clear text to another machine (`http` to a host that
    /// is not loopback).
    /// - Parameter apiBase: a URL accepted by ``problem(apiBase:)``.
    /// - Returns: `true` for plain `http` to a non-loopback host.
    public static func isCleartextRemote(apiBase: String) -> Bool {
        guard let components = URLComponents(string: apiBase), components.scheme?.lowercased() == "http" else { return false }
        return !["127.0.0.1", "localhost", "::1", "[::1]"].contains(components.host?.lowercased() ?? "")
    }

    /// `api_base=…`; never the secret.
    public var description: String { "active send api_base=\(apiBase)" }
}
