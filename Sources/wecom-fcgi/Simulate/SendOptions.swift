import ArgumentParser
import Foundation
import WeComCallback
import WeComSimulation

/// Where and how `simulate` commands send: `--url`, `--print-curl`, `--timeout`, and the signed
/// `--timestamp` / `--nonce` (fresh by default).
struct SendOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The callback URL, e.g. http://127.0.0.1:8080/wecom/callback (may carry its own query).", valueName: "url"))
    var url: String

    @Flag(help: "Print the curl command instead of sending.")
    var printCurl = false

    @Option(help: ArgumentHelp("Seconds to wait for the whole response.", valueName: "seconds"))
    var timeout: Double = 10

    @Option(help: ArgumentHelp("The timestamp to sign (default: now, Unix seconds).", valueName: "seconds"))
    var timestamp: String?

    @Option(help: ArgumentHelp("The nonce to sign (default: a random decimal).", valueName: "nonce"))
    var nonce: String?

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// The timestamp to sign: `--timestamp` or the current Unix time.
    var resolvedTimestamp: String { timestamp ?? String(Int64(Date().timeIntervalSince1970)) }

    /// The nonce to sign: `--nonce` or 10 random decimal digits, like WeCom's.
    var resolvedNonce: String { nonce ?? RandomDecimal.digits(10) }

    /// `--url` followed by `query` (joined with `?`, or `&` when the URL already has a query).
    func url(with query: String) -> String {
        url + (url.contains("?") ? "&" : "?") + query
    }
}

/// Decimal strings from the system generator, for nonces, echostr and MsgId of live simulations.
enum RandomDecimal {
    /// `count` decimal digits, the first not zero.
    static func digits(_ count: Int) -> String {
        var rng = SplitMix64(seed: UInt64.random(in: .min ... .max))
        return rng.decimalDigits(count)
    }
}
