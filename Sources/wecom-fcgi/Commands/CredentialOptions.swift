import ArgumentParser
import Foundation
import WeComCallback

/// `--token`, `--encoding-aes-key`, `--corp-id`, falling back to the original framework's
/// environment variables `WECOM_APP_TOKEN`, `WECOM_APP_AES_KEY`, `WECOM_APP_CORP_ID`.
struct CredentialOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The app's Token (default: $WECOM_APP_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("The 43-character EncodingAESKey (default: $WECOM_APP_AES_KEY).", valueName: "key"))
    var encodingAESKey: String?

    @Option(help: ArgumentHelp("The receiveid: the corp id (default: $WECOM_APP_CORP_ID).", valueName: "id"))
    var corpID: String?

    @Option(help: ArgumentHelp("Fixed 16-byte random prefix as 32 hex digits, for reproducible output.", valueName: "hex"))
    var randomHex: String?

    func value(_ flag: String?, _ variable: String, name: String) throws -> String {
        if let flag { return flag }
        if let env = ProcessInfo.processInfo.environment[variable] { return env }
        throw ValidationError("missing \(name): pass --\(name) or set \(variable)")
    }

    /// Builds the crypto for these credentials.
    /// - Throws: `ValidationError` naming a missing or malformed credential (never its value).
    func crypt(requireCorpID: Bool = true) throws -> WXBizMsgCrypt {
        let token = try value(token, "WECOM_APP_TOKEN", name: "token")
        let key = try value(encodingAESKey, "WECOM_APP_AES_KEY", name: "encoding-aes-key")
        let corp = requireCorpID ? try value(corpID, "WECOM_APP_CORP_ID", name: "corp-id")
            : (corpID ?? ProcessInfo.processInfo.environment["WECOM_APP_CORP_ID"] ?? "")
        var random: any RandomSource = SystemRandom()
        if let randomHex {
            let bytes = try HexArgument.bytes(randomHex)
            guard bytes.count == 16 else { throw ValidationError("--random-hex needs 32 hex digits") }
            random = FixedRandom(bytes)
        }
        do {
            return try WXBizMsgCrypt(token: token, encodingAESKey: key, receiveID: corp, random: random)
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
