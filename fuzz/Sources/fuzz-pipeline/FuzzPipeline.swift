// Fuzz target: the whole request pipeline, `CallbackHandler.handle`, with the echo app of credential
// set B on /wecom/callback.
//
// Input: byte 0 = control, then `part1 0x00 part2` (no 0x00: all of it is part1).
//   control bits 0-2: method (GET, POST, PUT, HEAD, DELETE, "", post, OPTIONS)
//   control bits 3-4: mode
//     0, 3  raw: query string = part1, body = part2 (signatures almost never verify: the
//           query/envelope parsers and the status policy are what is fuzzed);
//     1     signed envelope: body = part2; the query is msg_signature/timestamp/nonce with a correct
//           signature over the envelope's Encrypt (when it parses), then "&" + part1 (reaches the
//           decrypt checks with arbitrary ciphertexts);
//     2     encrypted plaintext: part2 is the decrypted message XML; it is encrypted and signed with set
//           B and wrapped in an envelope, the query is as in mode 1 (reaches InboundMessage, the echo
//           reply, its rendering and encryption with arbitrary plaintexts).
//   control bit 5: path is /wecom/callback/ instead of /wecom/callback (both are the app);
//   control bits 6+7 both set: path /other (404); bit 6 alone: body over the limit flag (413).
// Property: the status is one of 200, 400, 403, 404, 405, 413 — never 500 — and a 200 to a POST in
// mode 2 decrypts back to a reply envelope our own crypto accepts.
import Foundation
import FuzzSupport
import WeComCallback

let methods = ["GET", "POST", "PUT", "HEAD", "DELETE", "", "post", "OPTIONS"]
let allowedStatuses: Set<Int> = [200, 400, 403, 404, 405, 413]
let timestamp = "1700000000", nonce = "1234567890"

/// libFuzzer's entry: one input, byte 0 the control byte, then `part1 0x00 part2` (see the top of the file).
/// - Parameters:
///   - data: the input bytes (`nil` when `size` is 0).
///   - size: the input length in bytes.
/// - Returns: 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPipeline(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let control = input[0]
    let rest = input[1...]
    let split = rest.firstIndex(of: 0)
    let part1 = Array(rest[..<(split ?? rest.endIndex)])
    let part2 = split.map { Array(rest[($0 + 1)...]) } ?? []

    let method = methods[Int(control & 7)]
    let mode = (control >> 3) & 3
    var path = control & 0x20 != 0 ? FuzzFixture.path + "/" : FuzzFixture.path
    var tooLarge = false
    switch control >> 6 {
    case 3: path = "/other"
    case 1: tooLarge = true
    default: break
    }

    var query = String(decoding: part1, as: UTF8.self)
    var body = part2
    if mode == 1 || mode == 2 {
        if mode == 2 {
            guard let encrypt = try? FuzzFixture.crypt.encrypt(part2) else { return 0 }
            body = Array(("<xml><ToUserName><![CDATA[\(FuzzFixture.corpID)]]></ToUserName>"
                + "<AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[\(encrypt)]]></Encrypt></xml>").utf8)
        }
        let encrypt = (try? Envelope(parsing: body))?.encrypt ?? ""
        let signature = FuzzFixture.sign(timestamp: timestamp, nonce: nonce, data: encrypt)
        query = "msg_signature=\(signature)&timestamp=\(timestamp)&nonce=\(nonce)" + (part1.isEmpty ? "" : "&" + query)
    }

    let request = CallbackRequest(
        method: method, path: path, queryString: query, contentType: "text/xml", remoteAddress: "127.0.0.1",
        body: body, bodyTooLarge: tooLarge)
    let response = FuzzFixture.handler.handle(request)
    fuzzCheck(allowedStatuses.contains(response.status), "status \(response.status) for \(method) \(path)")

    if mode == 2, method == "POST", part1.isEmpty, !tooLarge, path != "/other" {
        // An authenticated message always gets 200 (spec §6.3: anything else makes WeCom retry).
        fuzzCheck(response.status == 200, "authenticated POST answered \(response.status)")
        if !response.body.isEmpty {
            guard let envelope = try? Envelope(parsing: response.body) else {
                fuzzCheck(false, "reply is not an envelope")
                return 0
            }
            let reply = try? FuzzFixture.crypt.decrypt(envelope.encrypt)
            fuzzCheck(reply?.receiveID == Array(FuzzFixture.corpID.utf8), "reply does not decrypt to our corp id")
        }
    }
    return 0
}

/// The executable's entry point (see `runLibFuzzer`): libFuzzer's driver on `fuzzPipeline`.
/// - Parameters:
///   - argc: the argument count.
///   - argv: the arguments (libFuzzer flags, corpus directories or inputs to replay).
/// - Returns: libFuzzer's exit status.
@_cdecl("fuzz_pipeline_main")
public func fuzzPipelineMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, fuzzPipeline)
}
