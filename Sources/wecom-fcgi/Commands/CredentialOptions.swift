import ArgumentParser
import Foundation
import WeComCallback

/// `--token`, `--encoding-aes-key`, `--corp-id`, then `--config PATH` with `--app NAME`, falling back
/// to the original framework's environment variables `WECOM_APP_TOKEN`, `WECOM_APP_AES_KEY`,
/// `WECOM_APP_CORP_ID`.
struct CredentialOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Take the credentials from this configuration file (with --app).", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("The app of --config whose credentials to use (default: the only app).", valueName: "name"))
    var app: String?

    @Option(help: ArgumentHelp("The app's Token (default: $WECOM_APP_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("The 43-character EncodingAESKey (default: $WECOM_APP_AES_KEY).", valueName: "key"))
    var encodingAESKey: String?

    @Option(help: ArgumentHelp("The receiveid: the corp id (default: $WECOM_APP_CORP_ID).", valueName: "id"))
    var corpID: String?

    @Option(help: ArgumentHelp("Fixed 16-byte random prefix as 32 hex digits, for reproducible output.", valueName: "hex"))
    var randomHex: String?

    func value(_ flag: String?, _ variable: String, name: String, fallback: String? = nil) throws -> String {
        if let flag { return flag }
        if let env = ProcessInfo.processInfo.environment[variable] { return env }
        if let fallback { return fallback }
        throw ValidationError("missing \(name): pass --\(name) or set \(variable)")
    }

    /// Resolves the app's credentials: each one from its flag, else from the `--config` file's app
    /// (`--app NAME`, or the file's only app), else its `WECOM_APP_*` variable, else `fallback` (e.g. the
    /// published sample set for `fixtures generate`). The one place where commands look credentials up.
    /// - Parameters:
    ///   - requireCorpID: when `false`, a missing corp id resolves to the empty string.
    ///   - fallback: values used when neither a flag nor a variable gives one.
    /// - Returns: the credentials (not yet validated: ``crypt(for:)`` does that).
    /// - Throws: `ValidationError` naming the first missing credential (never a value).
    func resolve(requireCorpID: Bool = true, fallback: AppCredentials? = nil) throws -> AppCredentials {
        let configured = try configuredApp()
        let token = try value(token ?? configured?.token, "WECOM_APP_TOKEN", name: "token", fallback: fallback?.token)
        let key = try value(encodingAESKey ?? configured?.encodingAESKey, "WECOM_APP_AES_KEY", name: "encoding-aes-key",
                            fallback: fallback?.encodingAESKey)
        let corp = requireCorpID || fallback != nil
            ? try value(corpID ?? configured?.corpID, "WECOM_APP_CORP_ID", name: "corp-id", fallback: fallback?.corpID)
            : (corpID ?? configured?.corpID ?? ProcessInfo.processInfo.environment["WECOM_APP_CORP_ID"] ?? "")
        return AppCredentials(corpID: corp, token: token, encodingAESKey: key)
    }

    /// The credentials of `--app` (or the only app) in `--config`, if a file was given.
    /// - Throws: `ValidationError` when the file does not validate or has no such app.
    func configuredApp() throws -> AppCredentials? {
        guard let config else {
            if app != nil { throw ValidationError("--app needs --config") }
            return nil
        }
        let loaded: Configuration
        do {
            loaded = try Configuration.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.problems.map { "\(config): \($0)" }.joined(separator: "\n"))
        }
        if let app {
            guard let found = loaded.apps.first(where: { $0.name == app }) else {
                throw ValidationError("no app named \(app) in \(config) (apps: \(loaded.apps.map(\.name).joined(separator: ", ")))")
            }
            return found.credentials
        }
        guard loaded.apps.count == 1, let only = loaded.apps.first else {
            throw ValidationError("\(config) has \(loaded.apps.count) apps: choose one with --app")
        }
        return only.credentials
    }

    /// Builds the crypto for these credentials.
    /// - Throws: `ValidationError` naming a missing or malformed credential (never its value).
    func crypt(requireCorpID: Bool = true) throws -> WXBizMsgCrypt {
        try crypt(for: resolve(requireCorpID: requireCorpID))
    }

    /// Builds the crypto for resolved credentials, with the `--random-hex` prefix when given.
    /// - Throws: `ValidationError` for a malformed credential or `--random-hex`.
    func crypt(for credentials: AppCredentials) throws -> WXBizMsgCrypt {
        var random: any RandomSource = SystemRandom()
        if let randomHex {
            let bytes = try HexArgument.bytes(randomHex)
            guard bytes.count == 16 else { throw ValidationError("--random-hex needs 32 hex digits") }
            random = FixedRandom(bytes)
        }
        do {
            return try credentials.makeCrypt(random: random)
        } catch {
            throw ValidationError("invalid credential \(error.description)")
        }
    }
}

enum HexArgument {
    static func bytes(_ text: String) throws -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { throw ValidationError("odd number of hex digits") }
        var out = [UInt8]()
        var i = 0
        while i < chars.count {
            guard let byte = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                throw ValidationError("not hex: \(text.prefix(8))…")
            }
            out.append(byte)
            i += 2
        }
        return out
    }
}

/// Reads a whole file, or standard input for `nil` or `-`.
func readInput(_ path: String?) throws -> [UInt8] {
    if let path, path != "-" {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return Array(data)
    }
    return Array(FileHandle.standardInput.readDataToEndOfFile())
}

/// Writes bytes to standard output unchanged.
func writeStdout(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
}
