import Testing
@testable import WeComCallback

@Suite struct SignatureTests {
    @Test func signatureOfPublishedGetMatches() throws {
        let sig = try Signature.compute(
            token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", timestamp: "1476416373", nonce: "47744683",
            data: "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==")
        #expect(sig == "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb")
    }
}
