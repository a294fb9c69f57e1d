import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// An AI bot's `--token` and `--encoding-aes-key`, falling back to `WECOM_BOT_TOKEN` and
/// `WECOM_BOT_AES_KEY`. There is no corp id: a bot's receiveid is "" (wecom-aibot.md §1).
struct BotCredentialOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The bot's Token (default: $WECOM_BOT_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("The bot's 43-character EncodingAESKey (default: $WECOM_BOT_AES_KEY).", valueName: "key"))
    var encodingAESKey: String?

    @Option(help: ArgumentHelp("Fixed 16-byte random prefix as 32 hex digits, for reproducible output.", valueName: "hex"))
    var randomHex: String?

    /// The bot's crypto (receiveid "").
    /// - Throws: `ValidationError` naming a missing or malformed credential (never its value).
    func crypt() throws -> WXBizMsgCrypt {
        let environment = ProcessInfo.processInfo.environment
        guard let token = token ?? environment["WECOM_BOT_TOKEN"] else {
            throw ValidationError("missing token: pass --token or set WECOM_BOT_TOKEN")
        }
        guard let key = encodingAESKey ?? environment["WECOM_BOT_AES_KEY"] else {
            throw ValidationError("missing encoding-aes-key: pass --encoding-aes-key or set WECOM_BOT_AES_KEY")
        }
        var random: any RandomSource = SystemRandom()
        if let randomHex {
            let bytes = try HexArgument.bytes(randomHex)
            guard bytes.count == 16 else { throw ValidationError("--random-hex needs 32 hex digits") }
            random = FixedRandom(bytes)
        }
        do {
            return try SimulatedRequest.botCrypt(token: token, encodingAESKey: key, random: random)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Fresh ids for live bot simulations.
enum RandomBotID {
    /// A msgid shaped like WeCom's: base64 of 18 random bytes (24 characters).
    static func msgID() -> String {
        var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
        return Data(rng.bytes(18)).base64EncodedString()
    }
}
