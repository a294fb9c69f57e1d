/// The keys the configuration file accepts, per table. Anything else is an error (with a
/// did-you-mean suggestion by edit distance).
enum ConfigSchema {
    static let topLevel = ["server", "app", "bot", "cluster"]
    static let server = ["max_body_bytes", "log_level", "reply_budget_ms", "dedup_entries", "dedup_ttl_s", "max_timestamp_skew_s", "status_path", "status_allow", "max_programs", "max_media_bytes"]
    static let cluster = ["redis_url", "redis_url_env", "redis_url_file", "key_prefix", "timeout_ms"]
    static let secrets = ["corp_id", "token", "encoding_aes_key"]
    /// Secrets an app may leave out (active send is off without `corp_secret`).
    static let optionalSecrets = ["corp_secret"]
    static let app = ["name", "path"] + (secrets + optionalSecrets).flatMap { [$0, $0 + "_env", $0 + "_file"] }
        + ["api_base", "agent_id", "journal", "route"]
    static let conditions = ["msg_type", "event", "event_key", "event_key_regex", "change_type", "content_regex", "from_user", "agent_id"]
    /// Derived from the registered actions: adding an action adds its keys here.
    static var route: [String] { conditions + ["action"] + ActionRegistry.allKeys }
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error"]
    static let messageTypes = ["text", "image", "voice", "video", "location", "link", "event"]
    /// The environment variables a one-app file falls back to, per secret.
    static let fallbackVariables = ["corp_id": "WECOM_APP_CORP_ID", "token": "WECOM_APP_TOKEN", "encoding_aes_key": "WECOM_APP_AES_KEY"]
}
