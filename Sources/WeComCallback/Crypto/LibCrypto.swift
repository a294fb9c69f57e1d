import COpenSSL

/// Thin wrappers over libcrypto (OpenSSL 3): the only place in the core that calls C.
///
/// Nothing here implements a primitive: AES, SHA, base64 and the CSPRNG are libcrypto's.
/// Every function takes and returns byte arrays and never traps on any input.
enum LibCrypto {
    /// An algorithm fetched from OpenSSL's default provider once for the process.
    ///
    /// OpenSSL 3 looks up the implementation behind the legacy `EVP_sha1()` / `EVP_aes_256_cbc()`
    /// handles on every `EVP_DigestInit`/`EVP_CipherInit` (an "implicit fetch": a property query under
    /// a global lock). Fetching explicitly once removes that from every request (it was about a third
    /// of the time of a signature). Fetched objects are immutable and safe to share between threads.
    struct Algorithm: @unchecked Sendable {
        let pointer: OpaquePointer?
    }

    /// SHA-1, fetched (or the legacy handle when the fetch fails).
    static let sha1Algorithm = Algorithm(pointer: EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1())
    /// SHA-256, fetched (or the legacy handle when the fetch fails).
    static let sha256Algorithm = Algorithm(pointer: EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256())
    /// AES-256-CBC, fetched (or the legacy handle when the fetch fails).
    static let aes256CBCAlgorithm = Algorithm(pointer: EVP_CIPHER_fetch(nil, "AES-256-CBC", nil) ?? EVP_aes_256_cbc())

    /// AES-256-CBC over whole 16-byte blocks with OpenSSL's own padding disabled.
    ///
    /// - Parameters:
    ///   - encrypt: `true` to encrypt, `false` to decrypt.
    ///   - key: 32 bytes. - iv: 16 bytes. - input: a multiple of 16 bytes.
    /// - Returns: output bytes of the same length as `input`, or `nil` when libcrypto reports a failure.
    static func aes256CBC(encrypt: Bool, key: [UInt8], iv: [UInt8], input: [UInt8]) -> [UInt8]? {
        guard key.count == 32, iv.count == 16, input.count % 16 == 0, input.count < Int(Int32.max) - 32 else {
            return nil
        }
        // The thread's own context for this direction: set up in full only when it holds another key
        // (or none); otherwise given just the IV, keeping the expanded key, OpenSSL's cipher instance and
        // the no-padding flag.
        if let contexts = ThreadCryptoContexts.current() {
            let ctx = encrypt ? contexts.encryptor : contexts.decryptor
            let keyed = (encrypt ? contexts.encryptorKey : contexts.decryptorKey) == key
            let result = aes256CBC(ctx, setUp: !keyed, encrypt: encrypt, key: key, iv: iv, input: input)
            let holds = result == nil ? nil : key
            if encrypt { contexts.encryptorKey = holds } else { contexts.decryptorKey = holds }
            return result
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        return aes256CBC(ctx, setUp: true, encrypt: encrypt, key: key, iv: iv, input: input)
    }

    /// ``aes256CBC(encrypt:key:iv:input:)`` on a given context: `setUp` initialises cipher, key,
    /// direction and padding; otherwise the context already holds them for `key` and gets the IV only.
    private static func aes256CBC(
        _ ctx: OpaquePointer, setUp: Bool, encrypt: Bool, key: [UInt8], iv: [UInt8], input: [UInt8]
    ) -> [UInt8]? {
        let initialised = iv.withUnsafeBufferPointer { v in
            guard setUp else { return EVP_CipherInit_ex(ctx, nil, nil, nil, v.baseAddress, encrypt ? 1 : 0) }
            return key.withUnsafeBufferPointer { k in
                EVP_CipherInit_ex(ctx, aes256CBCAlgorithm.pointer, nil, k.baseAddress, v.baseAddress, encrypt ? 1 : 0)
            }
        }
        guard initialised == 1 else { return nil }
        if setUp, EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 { return nil }
        if input.isEmpty { return [] }
        // Written straight into the result's storage (no zero fill, no trim afterwards); with padding
        // off, Update writes exactly the input's length and Final nothing, which is checked.
        var ok = false
        let output = [UInt8](unsafeUninitializedCapacity: input.count + 32) { out, initialized in
            initialized = 0
            guard let base = out.baseAddress else { return }
            var written: Int32 = 0
            var finalWritten: Int32 = 0
            let updated = input.withUnsafeBufferPointer { inp in
                EVP_CipherUpdate(ctx, base, &written, inp.baseAddress, Int32(inp.count))
            }
            guard updated == 1, written >= 0, Int(written) <= out.count - 16 else { return }
            guard EVP_CipherFinal_ex(ctx, base + Int(written), &finalWritten) == 1 else { return }
            guard finalWritten >= 0, Int(written) + Int(finalWritten) <= out.count else { return }
            initialized = Int(written) + Int(finalWritten)
            ok = initialized == input.count
        }
        return ok ? output : nil
    }

    /// A one-shot message digest (SHA-1 → 20 bytes, SHA-256 → 32 bytes).
    static func digest(_ md: OpaquePointer?, _ input: [UInt8]) -> [UInt8]? {
        // On the thread's own digest context when there is one (no context made and freed per call).
        let contexts = ThreadCryptoContexts.current()
        var ok: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: Int(EVP_MAX_MD_SIZE)) { out, initialized in
            var len: UInt32 = 0
            ok = input.withUnsafeBufferPointer { inp in
                guard let ctx = contexts?.digest else {
                    return EVP_Digest(inp.baseAddress, inp.count, out.baseAddress, &len, md, nil)
                }
                guard EVP_DigestInit_ex2(ctx, md, nil) == 1, EVP_DigestUpdate(ctx, inp.baseAddress, inp.count) == 1
                else { return 0 }
                return EVP_DigestFinal_ex(ctx, out.baseAddress, &len)
            }
            initialized = ok == 1 ? min(Int(len), out.count) : 0
        }
        return ok == 1 ? out : nil
    }

    /// SHA-1 of `input`: 20 bytes, or `nil` on a libcrypto failure.
    static func sha1(_ input: [UInt8]) -> [UInt8]? { digest(sha1Algorithm.pointer, input) }

    /// SHA-256 of `input`: 32 bytes, or `nil` on a libcrypto failure.
    static func sha256(_ input: [UInt8]) -> [UInt8]? { digest(sha256Algorithm.pointer, input) }

    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`), or `nil` when it is not seeded.
    static func randomBytes(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        return ok == 1 ? out : nil
    }

    /// Constant-time equality of two byte arrays of the same length (`CRYPTO_memcmp`).
    /// Arrays of different lengths are unequal (the length is not secret).
    static func constantTimeEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress, a.count > 0 else { return true }
        return CRYPTO_memcmp(pa, pb, a.count) == 0
    }

    /// ``constantTimeEqual(_:_:)-(UnsafeBufferPointer<UInt8>,_)`` of two arrays.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
        }
    }

    /// Standard, padded base64 of `input` (`EVP_EncodeBlock`; no line breaks).
    static func base64Encode(_ input: [UInt8]) -> String? {
        guard input.count < Int(Int32.max) / 2 else { return nil }
        if input.isEmpty { return "" }
        // Encoded straight into the string's storage (one byte more for the NUL EVP_EncodeBlock writes).
        let capacity = 4 * ((input.count + 2) / 3) + 1
        var failed = false
        let text = String(unsafeUninitializedCapacity: capacity) { out in
            let n = input.withUnsafeBufferPointer { inp in
                EVP_EncodeBlock(out.baseAddress, inp.baseAddress, Int32(inp.count))
            }
            guard n >= 0, Int(n) < capacity else {
                failed = true
                return 0
            }
            return Int(n)
        }
        return failed ? nil : text
    }

    /// Decodes base64 text with `EVP_DecodeBlock` after a strict shape check.
    ///
    /// Accepted: the standard alphabet (`A–Z a–z 0–9 + /`), a length that is a multiple of 4, and at
    /// most two `=` only at the end. The spare low bits of the last character are ignored (spec §4.1).
    /// - Returns: the decoded bytes, or a reason why the text is not base64.
    static func base64Decode(_ text: some Collection<UInt8>) -> Result<[UInt8], Base64Problem> {
        // Contiguous input (a String's UTF-8, an array) is read in place; anything else is copied once.
        if let result = text.withContiguousStorageIfAvailable({ base64Decode(buffer: $0) }) { return result }
        return Array(text).withUnsafeBufferPointer { base64Decode(buffer: $0) }
    }

    /// 1 for the bytes that are not base64 characters (`A–Z a–z 0–9 + /`): one table load and an OR per
    /// byte, without a branch, instead of a chain of range comparisons (the check ran longer than
    /// `EVP_DecodeBlock` itself); the offset is looked for only in text that fails.
    private static let notBase64Character: [UInt8] = (0..<256).map { c in
        (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2B || c == 0x2F ? 0 : 1
    }

    private static func base64Decode(buffer input: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], Base64Problem> {
        guard let base = input.baseAddress, !input.isEmpty else { return .failure(.empty) }
        guard input.count % 4 == 0 else { return .failure(.length(input.count)) }
        guard input.count < Int(Int32.max) / 2 else { return .failure(.length(input.count)) }
        // At most two `=`, and only at the end: everything before them must be alphabet.
        var padding = 0
        while padding < 2, input[input.count - 1 - padding] == UInt8(ascii: "=") { padding += 1 }
        let body = input.count - padding
        let offending = notBase64Character.withUnsafeBufferPointer { table -> Int? in
            var bad: UInt8 = 0
            for i in 0..<body { bad |= table[Int(input[i])] }
            guard bad != 0 else { return nil }
            return (0..<body).first { table[Int(input[$0])] != 0 }
        }
        if let offending { return .failure(.character(offset: offending)) }
        // Decoded straight into the result's storage; the padding's zero bytes are left out.
        var rejected = false
        let out = [UInt8](unsafeUninitializedCapacity: input.count / 4 * 3) { out, initialized in
            let n = EVP_DecodeBlock(out.baseAddress, base, Int32(input.count))
            guard n >= 0, Int(n) >= padding, Int(n) <= out.count else {
                rejected = true
                initialized = 0
                return
            }
            initialized = Int(n) - padding
        }
        return rejected ? .failure(.rejected) : .success(out)
    }

    enum Base64Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case length(Int)
        case character(offset: Int)
        case rejected

        var description: String {
            switch self {
            case .empty: return "empty"
            case .length(let n): return "length \(n) is not a multiple of 4"
            case .character(let offset): return "invalid character at offset \(offset)"
            case .rejected: return "rejected by the decoder"
            }
        }
    }
}
