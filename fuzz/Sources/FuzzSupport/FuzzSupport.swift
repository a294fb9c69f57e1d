// Shared by the fuzz targets: credential set B of Tests/WeComCallbackTests/Fixtures/vectors.json (the
// official SDK samples' token, key and corp id; never real ones) and a few helpers.
import CFuzzShim
import Foundation
import Logging
import WeComCallback

/// Credential set B and the objects built from it, created once per process.
public enum FuzzFixture {
    /// The Token of set B.
    public static let token = "QDG6eK"
    /// The EncodingAESKey of set B (43 characters).
    public static let encodingAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    /// The corp id (receiveid) of set B.
    public static let corpID = "wx5823bf96d3bd56c7"
    /// The path the fuzzed app answers.
    public static let path = "/wecom/callback"
    /// AESKey = base64_decode(EncodingAESKey + "="), 32 bytes (vectors.json `aes_key_hex`).
    public static let aesKey: [UInt8] = hexBytes("8d69989bbaabe67328014c194631ad0719b3dca035b64023df292447aab60760")
    /// IV = AESKey[0..<16].
    public static let iv: [UInt8] = Array(aesKey[0..<16])

    /// The crypto for set B with a fixed random prefix (deterministic runs).
    public static let crypt: WXBizMsgCrypt = {
        do {
            return try WXBizMsgCrypt(
                token: token, encodingAESKey: encodingAESKey, receiveID: corpID,
                random: FixedRandom(Array("FuzzFuzzFuzzFuzz".utf8)))
        } catch {
            fatalError("fuzz fixture credentials rejected: \(error)")
        }
    }()

    /// One handler for the whole run: the production echo route on ``path``, logging nowhere, without
    /// retry deduplication (every input runs the action).
    public static let handler: CallbackHandler = {
        let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        // The echo route as the server builds it without a configuration file (`Route`'s initialiser
        // is internal); set B's credentials.
        let routes: [Route]
        do {
            routes = try Configuration.fromEnvironment([
                "WECOM_APP_CORP_ID": corpID, "WECOM_APP_TOKEN": token, "WECOM_APP_AES_KEY": encodingAESKey,
            ]).apps[0].routes
        } catch {
            fatalError("fuzz fixture configuration rejected: \(error)")
        }
        let processor = RoutingProcessor(
            appName: "fuzz", router: Router(routes: routes), logger: logger,
            now: { Date(timeIntervalSince1970: 1_700_000_000) }, deliveries: InMemoryDeliveryStore(capacity: 0))
        return CallbackHandler(
            apps: [CallbackApp(name: "fuzz", path: path, crypt: crypt, corpID: corpID, processor: processor)],
            logger: logger)
    }()

    /// Raw AES-256-CBC (no padding) of `input` with set B's key and IV, then standard base64.
    /// - Parameter input: a multiple of 16 bytes (may be empty).
    /// - Returns: the base64 text, or `nil` when `input` is not a multiple of 16.
    public static func encryptRaw(_ input: [UInt8]) -> String? {
        var out = [UInt8](repeating: 0, count: input.count)
        let ok = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                fuzz_aes256cbc_encrypt_raw(aesKey, iv, i.baseAddress, i.count, o.baseAddress)
            }
        }
        guard ok == 1 else { return nil }
        return Data(out).base64EncodedString()
    }

    /// `msg_signature` over `data` with set B's token.
    /// - Returns: 40 lowercase hex characters.
    public static func sign(timestamp: String, nonce: String, data: String) -> String {
        do {
            return try Signature.compute(token: token, timestamp: timestamp, nonce: nonce, data: data)
        } catch {
            fatalError("Signature.compute failed: \(error)")
        }
    }
}

/// Traps with `message` when `condition` is false: a finding for libFuzzer (it saves the input).
/// - Parameters:
///   - condition: the property that must hold.
///   - message: what was violated, printed before the trap.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("fuzz property violated: \(message())\n".utf8))
        fatalError(message())
    }
}

/// Decodes an even-length hex string (trusted, compile-time constants only).
/// - Parameter hex: lowercase or uppercase hex digits.
/// - Returns: the bytes.
public func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = hex.utf8.makeIterator()
    while let h = chars.next(), let l = chars.next() {
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        out.append(nibble(h) << 4 | nibble(l))
    }
    return out
}

/// Runs libFuzzer on `target`: the body of each fuzz executable's entry point.
///
/// SwiftPM on Linux links executables with `--defsym main=<module>_main`, which hides libFuzzer's own
/// `main`; each target therefore exports `<module>_main` (via `@_cdecl`) and calls this.
/// - Parameters:
///   - argc: the process's argument count.
///   - argv: the process's arguments (libFuzzer flags and corpus directories).
///   - target: the `LLVMFuzzerTestOneInput` function.
/// - Returns: libFuzzer's exit status.
public func runLibFuzzer(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
