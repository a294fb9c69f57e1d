import Foundation
import Testing
@testable import WeComCallback

/// Round trips and one hand-broken input per rejection rule (spec §4.1–§4.4).
@Suite struct WXBizMsgCryptTests {
    static let token = "QDG6eK"
    static let key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
    static let corpID = "wx5823bf96d3bd56c7"

    func crypt(random: [UInt8]? = nil) throws -> WXBizMsgCrypt {
        try WXBizMsgCrypt(token: Self.token, encodingAESKey: Self.key, receiveID: Self.corpID,
                          random: random.map { FixedRandom($0) } ?? SystemRandom())
    }

    /// Encrypts with a raw key, bypassing the padding and framing checks, to build broken ciphertexts.
    func rawCiphertext(_ plain: [UInt8]) throws -> String {
        let c = try crypt()
        let encrypted = try #require(LibCrypto.aes256CBC(encrypt: true, key: c.aesKey, iv: c.iv, input: plain))
        return try #require(LibCrypto.base64Encode(encrypted))
    }

    func frame(_ message: [UInt8], receiveID: String = corpID, lengthField: UInt32? = nil) -> [UInt8] {
        let n = lengthField ?? UInt32(message.count)
        return [UInt8](repeating: 0x41, count: 16) + [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            + message + Array(receiveID.utf8)
    }

    // MARK: round trips

    @Test func everyLengthFrom0To64RoundTripsWithEveryPadValue() throws {
        let c = try crypt()
        var padValues = Set<Int>()
        for length in 0...64 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 33) }
            let encrypt = try c.encrypt(message)
            let decoded = try #require(try? LibCrypto.base64Decode(encrypt.utf8).get())
            #expect(decoded.count % 32 == 0)
            let frame = try c.decrypt(encrypt)
            #expect(frame.message == message)
            #expect(frame.receiveID == Array(Self.corpID.utf8))
            padValues.insert(frame.padValue)
        }
        #expect(padValues == Set(1...32))
    }

    @Test(arguments: [8 * 1024, 1024 * 1024])
    func largeMessagesRoundTrip(size: Int) throws {
        let c = try crypt()
        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try c.decrypt(c.encrypt(message)).message == message)
    }

    @Test func lengthFieldCountsUTF8Bytes() throws {
        let text = "你好，世界 👍🏽 emoji ÄÖÜ"
        let c = try crypt(random: Array(repeating: 7, count: 16))
        let frame = try c.decrypt(c.encrypt(Array(text.utf8)))
        #expect(frame.message.count == text.utf8.count)
        #expect(text.utf8.count == 37)
        #expect(String(decoding: frame.message, as: UTF8.self) == text)
    }

    @Test func replyEnvelopeVerifiesAndDecrypts() throws {
        let c = try crypt()
        let envelope = try c.encryptReply(Array("<xml>hi</xml>".utf8), timestamp: "1700000000", nonce: "42")
        let encrypt = try #require(envelope.split(separator: "[").dropFirst(2).first?.split(separator: "]").first)
        let sig = try #require(envelope.split(separator: "[").dropFirst(4).first?.split(separator: "]").first)
        #expect(try c.decryptMessage(msgSignature: String(sig), timestamp: "1700000000", nonce: "42", encrypt: String(encrypt))
                == Array("<xml>hi</xml>".utf8))
    }

    // MARK: credentials

    @Test func emptyTokenIsRejectedNamingTheField() {
        #expect(throws: CredentialError(field: "token", reason: "must not be empty")) {
            try WXBizMsgCrypt(token: "", encodingAESKey: Self.key, receiveID: Self.corpID)
        }
    }

    @Test(arguments: [
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2",  // 42 chars
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2CC",  // 44 chars
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2=",  // padding inside
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B-C",  // URL-safe alphabet
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B C",  // space
        "",
    ])
    func malformedEncodingAESKeyIsRejected(key: String) {
        #expect {
            try WXBizMsgCrypt(token: Self.token, encodingAESKey: key, receiveID: Self.corpID)
        } throws: { error in
            (error as? CredentialError)?.field == "encoding_aes_key" && (error as? CredentialError)?.code == -40004
        }
    }

    @Test func keyWithSpareBitsSetIsAcceptedLikeItsCanonicalForm() throws {
        #expect(try WXBizMsgCrypt.deriveKey("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
                == WXBizMsgCrypt.deriveKey("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2A"))
    }

    // MARK: signature

    @Test func signatureComparisonAcceptsUppercaseAndRejectsAnythingElse() throws {
        let sig = try Signature.compute(token: "t", timestamp: "1", nonce: "2", data: "abc")
        #expect(sig.count == 40 && sig == sig.lowercased())
        #expect(try Signature.verify(msgSignature: sig.uppercased(), token: "t", timestamp: "1", nonce: "2", data: "abc"))
        #expect(try !Signature.verify(msgSignature: String(sig.dropLast()), token: "t", timestamp: "1", nonce: "2", data: "abc"))
        #expect(try !Signature.verify(msgSignature: "", token: "t", timestamp: "1", nonce: "2", data: "abc"))
        #expect(try !Signature.verify(msgSignature: sig, token: "t", timestamp: "1", nonce: "3", data: "abc"))
    }

    @Test func signatureSortsByBytes() throws {
        // "Z" (0x5A) sorts before "a" (0x61): the concatenation is "1Zab".
        let expected = Hex.lowercase(try #require(LibCrypto.sha1(Array("1Zab".utf8))))
        #expect(try Signature.compute(token: "a", timestamp: "b", nonce: "Z", data: "1") == expected)
    }

    // MARK: decrypt rejections, one hand-broken input each

    @Test func invalidBase64IsRejected() throws {
        let c = try crypt()
        for bad in ["", "abc", "ab=c", "a===", "ab!d", "YWJj ZA==", "YWJjZA=\n"] {
            #expect(throws: WXBizMsgCryptError.self) { try c.decrypt(bad) }
            do { _ = try c.decrypt(bad) } catch { #expect(error.code == -40010) }
        }
    }

    @Test func emptyCiphertextIsRejected() throws {
        // "AA==" decodes to one byte: not a multiple of 16.
        let c = try crypt()
        do { _ = try c.decrypt("AA=="); Issue.record("accepted") } catch { #expect(error.code == -40007) }
    }

    @Test func ciphertextNotMultipleOf16IsRejected() throws {
        let c = try crypt()
        let b64 = try #require(LibCrypto.base64Encode([UInt8](repeating: 1, count: 24)))
        do { _ = try c.decrypt(b64); Issue.record("accepted") } catch { #expect(error.code == -40007) }
    }

    @Test func ciphertextPaddedTo16IsAccepted() throws {
        // Spec §13.1: decode both 16- and 32-aligned input.
        var plain = frame(Array("hello".utf8))  // 16 + 4 + 5 + 18 = 43 bytes
        let pad = 48 - plain.count
        plain += [UInt8](repeating: UInt8(pad), count: pad)
        let c = try crypt()
        #expect(try c.decrypt(try rawCiphertext(plain)).message == Array("hello".utf8))
    }

    @Test func padValueZeroIsRejected() throws {
        var plain = frame(Array("x".utf8))
        plain += [UInt8](repeating: 0, count: 64 - plain.count)
        #expect(throws: WXBizMsgCryptError.illegalBuffer("pad value 0 outside 1…32")) {
            try self.crypt().decrypt(try self.rawCiphertext(plain))
        }
    }

    @Test func padValueAbove32IsRejected() throws {
        var plain = frame(Array("x".utf8))
        plain += [UInt8](repeating: 33, count: 64 - plain.count)
        #expect(throws: WXBizMsgCryptError.illegalBuffer("pad value 33 outside 1…32")) {
            try self.crypt().decrypt(try self.rawCiphertext(plain))
        }
    }

    @Test func inconsistentPadBytesAreRejected() throws {
        var plain = frame(Array("x".utf8))
        let pad = 64 - plain.count
        plain += [UInt8](repeating: UInt8(pad), count: pad)
        plain[plain.count - 2] = 1
        #expect(throws: WXBizMsgCryptError.illegalBuffer("inconsistent pad bytes")) {
            try self.crypt().decrypt(try self.rawCiphertext(plain))
        }
    }

    @Test func fewerThan20BytesAfterUnpaddingIsRejected() throws {
        let plain = [UInt8](repeating: 0x41, count: 16) + [UInt8](repeating: 16, count: 16)
        #expect(throws: WXBizMsgCryptError.illegalBuffer("16 bytes after unpadding, at least 20 needed")) {
            try self.crypt().decrypt(try self.rawCiphertext(plain))
        }
    }

    @Test(arguments: [UInt32(26), 0xFFFF_FFFF])
    func lengthFieldBeyondTheBufferIsRejected(length: UInt32) throws {
        var plain = frame(Array("hello".utf8), receiveID: "", lengthField: length)
        let pad = 32 - plain.count % 32
        plain += [UInt8](repeating: UInt8(pad), count: pad)
        #expect {
            try self.crypt().decrypt(try self.rawCiphertext(plain))
        } throws: { ($0 as? WXBizMsgCryptError)?.code == -40008 }
    }

    @Test func receiveIDIsComparedByteExact() throws {
        let c = try crypt()
        for other in ["wx5823bf96d3bd56c", "wx5823bf96d3bd56c7 ", "WX5823BF96D3BD56C7", ""] {
            let sender = try WXBizMsgCrypt(token: Self.token, encodingAESKey: Self.key, receiveID: other)
            let encrypt = try sender.encrypt(Array("<xml/>".utf8))
            let sig = try Signature.compute(token: Self.token, timestamp: "1", nonce: "2", data: encrypt)
            #expect(throws: WXBizMsgCryptError.receiveIDMismatch) {
                try c.decryptMessage(msgSignature: sig, timestamp: "1", nonce: "2", encrypt: encrypt)
            }
        }
    }

    @Test func emptyExpectedReceiveIDRequiresAnEmptyRemainder() throws {
        let strict = try WXBizMsgCrypt(token: Self.token, encodingAESKey: Self.key, receiveID: "")
        let encrypt = try crypt().encrypt(Array("<xml/>".utf8))
        let sig = try Signature.compute(token: Self.token, timestamp: "1", nonce: "2", data: encrypt)
        #expect(throws: WXBizMsgCryptError.receiveIDMismatch) {
            try strict.decryptMessage(msgSignature: sig, timestamp: "1", nonce: "2", encrypt: encrypt)
        }
    }

    @Test func badSignatureIsRejectedBeforeDecrypting() throws {
        // The Encrypt value is garbage: a signature mismatch must be reported, not a base64 error.
        #expect(throws: WXBizMsgCryptError.signatureMismatch) {
            try self.crypt().decryptMessage(msgSignature: String(repeating: "0", count: 40), timestamp: "1", nonce: "2", encrypt: "!!")
        }
    }

    @Test func randomGarbageNeverTraps() throws {
        let c = try crypt()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 1...8, using: &generator) * 16
            let garbage = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let b64 = try #require(LibCrypto.base64Encode(garbage))
            _ = try? c.decrypt(b64)
        }
    }

    @Test func everyErrorHasItsSDKCode() {
        let all: [WXBizMsgCryptError] = [
            .signatureMismatch, .envelopeParseFailed(""), .computeSignatureFailed, .invalidEncodingAESKey(""),
            .receiveIDMismatch, .encryptFailed, .decryptFailed(""), .illegalBuffer(""), .encodeBase64Failed,
            .decodeBase64Failed(""), .buildReplyFailed(""),
        ]
        #expect(all.map(\.code) == Array((-40011)...(-40001)).reversed())
    }

    @Test func fixedRandomOfWrongLengthFailsEncryption() throws {
        let c = try crypt(random: [1, 2, 3])
        #expect(throws: WXBizMsgCryptError.encryptFailed) { try c.encrypt([1]) }
    }

    @Test func nonDecimalReplyTimestampIsRefused() throws {
        #expect(throws: WXBizMsgCryptError.buildReplyFailed("timestamp must be decimal digits")) {
            try self.crypt().encryptReply([], timestamp: "12a", nonce: "1")
        }
    }
}
