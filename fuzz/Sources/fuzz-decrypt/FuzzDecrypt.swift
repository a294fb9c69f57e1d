// Fuzz target: decryption behind a valid signature, on arbitrary plaintext frames.
//
// Input: byte 0 picks the framing, the rest is the frame (spec §4.2: random(16) ‖ uint32_be(len) ‖ msg ‖
// receiveid ‖ PKCS#7 pad):
//   - bit 0 clear: the rest is the whole padded buffer, zero-extended to a multiple of 16 (arbitrary pad
//     bytes, lengths and receiveids, as a forged or corrupted ciphertext would decrypt to);
//   - bit 0 set: the rest is the unpadded buffer and gets a correct 32-byte PKCS#7 pad (reaches the
//     length-field and receiveid checks more often).
// The frame is encrypted raw with credential set B (libcrypto, no padding), signed with set B's token
// and given to `decryptMessage`. A reference split of the frame written here decides what must happen:
// the same message bytes on success, an error otherwise (differential check).
import Foundation
import FuzzSupport
import WeComCallback

/// What the spec says the frame decrypts to: the `msg` bytes, or `nil` when it must be rejected.
func referenceMessage(_ frame: [UInt8]) -> [UInt8]? {
    guard let last = frame.last else { return nil }
    let pad = Int(last)
    guard pad >= 1, pad <= 32, pad <= frame.count else { return nil }
    guard frame[(frame.count - pad)...].allSatisfy({ $0 == last }) else { return nil }
    let content = Array(frame[..<(frame.count - pad)])
    guard content.count >= 20 else { return nil }
    let length = content[16..<20].reduce(0) { ($0 << 8) | Int($1) }
    guard length <= content.count - 20 else { return nil }
    guard Array(content[(20 + length)...]) == Array(FuzzFixture.corpID.utf8) else { return nil }
    return Array(content[20..<(20 + length)])
}

/// libFuzzer's entry: one input, byte 0 the framing, the rest the frame (see the top of the file).
/// - Parameters:
///   - data: the input bytes (`nil` when `size` is 0).
///   - size: the input length in bytes.
/// - Returns: 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecrypt(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var frame = Array(input[1...])
    if input[0] & 1 == 1 {
        frame = PKCS7.pad(frame)
    } else if frame.count % 16 != 0 {
        frame += [UInt8](repeating: 0, count: 16 - frame.count % 16)
    }
    guard let encrypt = FuzzFixture.encryptRaw(frame) else {
        fuzzCheck(false, "raw encryption failed for \(frame.count) bytes")
        return 0
    }
    let timestamp = "1700000000", nonce = "1234567890"
    let signature = FuzzFixture.sign(timestamp: timestamp, nonce: nonce, data: encrypt)
    let expected = referenceMessage(frame)
    do {
        let message = try FuzzFixture.crypt.decryptMessage(
            msgSignature: signature, timestamp: timestamp, nonce: nonce, encrypt: encrypt)
        fuzzCheck(expected == message, "accepted a frame the reference rejects, or returned other bytes")
    } catch {
        fuzzCheck(expected == nil, "rejected a valid frame: \(error)")
        // An empty Encrypt is not base64 (-40010); every other rejection is a decrypt/buffer/receiveid one.
        switch error {
        case .decodeBase64Failed: fuzzCheck(encrypt.isEmpty, "valid base64 reported as not base64")
        case .signatureMismatch: fuzzCheck(false, "a correct signature was rejected")
        default: break
        }
    }
    // The lower-level split agrees with the reference whenever the padding is valid.
    if let parts = try? FuzzFixture.crypt.decrypt(encrypt), expected != nil {
        fuzzCheck(parts.message == expected, "decrypt(_:) split differs from decryptMessage")
        fuzzCheck(parts.random == Array(frame[0..<16]), "random prefix differs")
    }
    return 0
}

/// The executable's entry point (see `runLibFuzzer`): libFuzzer's driver on `fuzzDecrypt`.
/// - Parameters:
///   - argc: the argument count.
///   - argv: the arguments (libFuzzer flags, corpus directories or inputs to replay).
/// - Returns: libFuzzer's exit status.
@_cdecl("fuzz_decrypt_main")
public func fuzzDecryptMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, fuzzDecrypt)
}
