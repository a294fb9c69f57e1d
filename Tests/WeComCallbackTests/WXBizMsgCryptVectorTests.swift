import Foundation
import Testing
@testable import WeComCallback

/// Every vector of spec §14: published, generated and negative.
@Suite struct WXBizMsgCryptVectorTests {
    static let published = Vectors.shared.list("published").compactMap { $0["id"] as? String }
    static let generated = Vectors.shared.list("generated").compactMap { $0["id"] as? String }
    static let negative = Vectors.shared.list("negative").compactMap { $0["id"] as? String }

    @Test func vectorSetsAreComplete() {
        #expect(Self.published.count == 14)
        #expect(Self.generated.count == 10)
        #expect(Self.negative.count == 5)
    }

    @Test func keyDerivationMatchesEveryCredentialSet() throws {
        let sets = Vectors.shared.root["credential_sets"] as? [String: [String: Any]] ?? [:]
        #expect(sets.count == 5)
        for (name, set) in sets {
            let key = try WXBizMsgCrypt.deriveKey(set["encoding_aes_key"] as? String ?? "")
            #expect(key == bytes(hex: set["aes_key_hex"] as? String ?? ""), "set \(name)")
            let crypt = try WXBizMsgCrypt(
                token: "t", encodingAESKey: set["encoding_aes_key"] as? String ?? "", receiveID: "")
            #expect(crypt.iv == bytes(hex: set["iv_hex"] as? String ?? ""), "set \(name)")
        }
    }

    /// Signature and plaintext byte-exact for every published request (GET, XML POST, JSON POST).
    @Test(arguments: published)
    func publishedVectorDecrypts(id: String) throws {
        let v = Vectors.shared.entry(id)
        let crypt = try Vectors.shared.crypt(v)
        let expectedPlaintext = Array((v["plaintext"] as? String ?? "").utf8)
        let kind = v["kind"] as? String ?? ""
        switch kind {
        case "url_verification_get":
            let q = try #require((v["request"] as? [String: Any])?["query"] as? [String: String])
            let plain = try crypt.verifyURL(
                msgSignature: q["msg_signature"] ?? "", timestamp: q["timestamp"] ?? "", nonce: q["nonce"] ?? "",
                echostr: q["echostr"] ?? "")
            #expect(plain == expectedPlaintext)
        case "message_post_xml", "message_post_json":
            let q = try #require((v["request"] as? [String: Any])?["query"] as? [String: String])
            let encrypt = try #require(v.string("request.encrypt"))
            let plain = try crypt.decryptMessage(
                msgSignature: q["msg_signature"] ?? "", timestamp: q["timestamp"] ?? "", nonce: q["nonce"] ?? "",
                encrypt: encrypt)
            #expect(plain == expectedPlaintext)
        case "ciphertext_only":
            let encrypt = try #require(v.string("request.encrypt"))
            let frame = try crypt.decrypt(encrypt)
            #expect(frame.message == expectedPlaintext)
            let sig = try Signature.compute(
                token: crypt.token, timestamp: v.string("request.timestamp") ?? "",
                nonce: v.string("request.nonce") ?? "", data: encrypt)
            #expect(sig == v["computed_msg_signature"] as? String)
        case "reply_encrypt_deterministic", "encrypt_deterministic_wechat_mp":
            let random = bytes(hex: v["random_hex"] as? String ?? "")
            let fixed = try Vectors.shared.crypt(v, random: random)
            #expect(try fixed.encrypt(expectedPlaintext) == v["expected_encrypt"] as? String)
            if let body = v["expected_response_body"] as? String {
                let reply = try fixed.encryptReply(
                    expectedPlaintext, timestamp: v["timestamp"] as? String ?? "", nonce: v["nonce"] as? String ?? "")
                #expect(reply == body)
            }
        default:
            Issue.record("unknown vector kind \(kind)")
        }
        // The decrypted frame matches what the vector recorded.
        if let encrypt = v.string("request.encrypt") ?? v.string("request.query.echostr") ?? v["expected_encrypt"] as? String {
            let frame = try crypt.decrypt(encrypt)
            #expect(frame.random == bytes(hex: v.string("decrypted.random_hex") ?? ""))
            #expect(frame.padValue == v.int("decrypted.pad_value"))
            #expect(frame.receiveID == Array((v.string("decrypted.receive_id_found") ?? "").utf8))
            #expect(frame.message.count == v.int("decrypted.msg_len"))
        }
    }

    @Test func percentEncodedCaptureSignsTheDecodedValue() throws {
        let v = Vectors.shared.entry("official-go-E-get-urlencoded")
        let crypt = try Vectors.shared.crypt(v)
        let raw = try #require(v.string("request.raw_query_string"))
        let query = try QueryString.parse(raw)
        #expect(query["echostr"] == v.string("request.query.echostr"))
        let plain = try crypt.verifyURL(
            msgSignature: query["msg_signature"] ?? "", timestamp: query["timestamp"] ?? "",
            nonce: query["nonce"] ?? "", echostr: query["echostr"] ?? "")
        #expect(plain == Array((v["plaintext"] as? String ?? "").utf8))
        // Signing the still-encoded text gives a different hash (spec §5.3).
        let encoded = String(raw.split(separator: "&").first { $0.hasPrefix("echostr=") }?.dropFirst(8) ?? "")
        let wrong = try Signature.compute(
            token: crypt.token, timestamp: query["timestamp"] ?? "", nonce: query["nonce"] ?? "", data: encoded)
        #expect(wrong.hasPrefix("5e7493"))
        #expect(query["msg_signature"]?.hasPrefix("825075") == true)
    }

    /// Ciphertext byte-exact given the fixed random bytes, and the request signature reproduced.
    @Test(arguments: generated)
    func generatedVectorEncryptsByteExact(id: String) throws {
        let v = Vectors.shared.entry(id)
        let random = bytes(hex: v["random_hex"] as? String ?? "")
        let crypt = try Vectors.shared.crypt(v, random: random)
        let plaintext = Array((v["plaintext"] as? String ?? "").utf8)
        #expect(plaintext.count == v["plaintext_utf8_bytes"] as? Int)
        let encrypt = try crypt.encrypt(plaintext)
        if let expected = v["expected_encrypt"] as? String ?? v.string("request.encrypt") {
            #expect(encrypt == expected)
        } else {
            Issue.record("vector \(id) has no ciphertext")
        }
        if let q = (v["request"] as? [String: Any])?["query"] as? [String: String] {
            let sig = try Signature.compute(
                token: crypt.token, timestamp: q["timestamp"] ?? "", nonce: q["nonce"] ?? "", data: encrypt)
            #expect(sig == q["msg_signature"])
            #expect(sig == v["expected_msg_signature"] as? String)
            let plain = try crypt.decryptMessage(
                msgSignature: sig, timestamp: q["timestamp"] ?? "", nonce: q["nonce"] ?? "", encrypt: encrypt)
            #expect(plain == plaintext)
        }
        if let body = v["expected_response_body"] as? String {
            let reply = try crypt.encryptReply(
                plaintext, timestamp: v["timestamp"] as? String ?? "", nonce: v["nonce"] as? String ?? "")
            #expect(reply == body)
            #expect(try Signature.compute(
                token: crypt.token, timestamp: v["timestamp"] as? String ?? "", nonce: v["nonce"] as? String ?? "",
                data: encrypt) == v["expected_msg_signature"] as? String)
        }
        let frame = try crypt.decrypt(encrypt)
        #expect(frame.padValue == v["pad_value"] as? Int)
    }

    @Test func emptyReceiveIDCompatVectorDecrypts() throws {
        let v = Vectors.shared.entry("compat-01-aibot-json-empty-receiveid")
        let crypt = try Vectors.shared.crypt(v)
        let q = try #require((v["request"] as? [String: Any])?["query"] as? [String: String])
        let plain = try crypt.decryptMessage(
            msgSignature: q["msg_signature"] ?? "", timestamp: q["timestamp"] ?? "", nonce: q["nonce"] ?? "",
            encrypt: v.string("request.encrypt") ?? "")
        #expect(plain == Array((v["plaintext"] as? String ?? "").utf8))
    }

    @Test func negativeVectorsAreRejectedWithTheExactError() throws {
        let expected: [String: WXBizMsgCryptError] = [
            "neg-01-bad-signature": .signatureMismatch,
            "neg-02-wrong-receiveid": .receiveIDMismatch,
            "neg-03-pad-byte-33": .illegalBuffer("pad value 33 outside 1…32"),
            "neg-04-pad-byte-0": .illegalBuffer("pad value 0 outside 1…32"),
            "neg-05-ciphertext-not-block-multiple": .decryptFailed("ciphertext length 40 is not a positive multiple of 16"),
        ]
        for id in Self.negative {
            let v = Vectors.shared.entry(id)
            let crypt = try Vectors.shared.crypt(v)
            let q = (v["request"] as? [String: Any])?["query"] as? [String: String] ?? [:]
            var encrypt = v.string("request.encrypt")
            if encrypt == nil, let body = v.string("request.body"),
               let start = body.range(of: "<Encrypt><![CDATA["), let end = body.range(of: "]]></Encrypt>") {
                encrypt = String(body[start.upperBound..<end.lowerBound])
            }
            let error = try #require(expected[id])
            #expect(throws: error) {
                try crypt.decryptMessage(
                    msgSignature: q["msg_signature"] ?? "", timestamp: q["timestamp"] ?? "", nonce: q["nonce"] ?? "",
                    encrypt: encrypt ?? "")
            }
        }
    }
}
