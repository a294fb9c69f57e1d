import COpenSSL

extension LibCrypto {
    /// MD5 of `input` (the `md5` of a stream image, spec `wecom-aibot.md` §4): 16 bytes, or `nil`.
    static func md5(_ input: [UInt8]) -> [UInt8]? { digest(EVP_md5(), input) }
}
