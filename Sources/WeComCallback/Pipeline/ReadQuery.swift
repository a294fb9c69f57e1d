import Foundation

extension CallbackHandler {
    /// The signed query parameters of a callback (spec §5): all present, non-empty and single.
    struct SignedQuery {
        /// `msg_signature`: 40 lowercase hex digits, as sent.
        var msgSignature: String
        /// `timestamp`: Unix seconds as decimal text, as sent.
        var timestamp: String
        /// `nonce`: as sent; echoed in the reply envelope.
        var nonce: String
        /// `echostr` (GET only): base64, `+` restored where form decoding made it a space.
        var echostr: String
    }

    /// The values of the four parameters a callback signs, where present (possibly empty).
    struct SignedValues {
        var msgSignature: String?
        var timestamp: String?
        var nonce: String?
        var echostr: String?
    }

    /// Envelope stage 2: reads `msg_signature`, `timestamp`, `nonce` (and `echostr` for GET).
    ///
    /// Base64 and hex never contain a space: a space in `echostr` or `msg_signature` is a `+` that was
    /// form-decoded on the way (spec §5.3), and is put back.
    /// - Returns: the parameters, or `nil` (answer 400) with `log.failure` set.
    func readQuery(_ queryString: String, isGet: Bool, log: inout RequestLog) -> SignedQuery? {
        let values: SignedValues
        if let plain = Self.plainSignedValues(queryString) {
            values = plain
        } else {
            let query: QueryString
            do {
                query = try QueryString.parse(queryString)
            } catch {
                log.failure = error.description
                return nil
            }
            values = SignedValues(msgSignature: query["msg_signature"], timestamp: query["timestamp"],
                                  nonce: query["nonce"], echostr: query["echostr"])
        }
        func required(_ value: String?, _ name: String) -> String? {
            guard let value, !value.isEmpty else {
                log.failure = "missing parameter \(name)"
                return nil
            }
            return value
        }
        // `+` that became a space on the way (a proxy that form-decoded the query) is put back; checked
        // on the UTF-8 bytes first: `replacingOccurrences` is Foundation's, slow on every request.
        func restoringPlus(_ value: String) -> String {
            value.utf8.contains(UInt8(ascii: " ")) ? value.replacingOccurrences(of: " ", with: "+") : value
        }
        guard let msgSignature = required(values.msgSignature, "msg_signature"),
              let timestamp = required(values.timestamp, "timestamp"),
              let nonce = required(values.nonce, "nonce")
        else { return nil }
        var echostr = ""
        if isGet {
            guard let value = required(values.echostr, "echostr") else { return nil }
            echostr = restoringPlus(value)
        }
        return SignedQuery(msgSignature: restoringPlus(msgSignature), timestamp: timestamp, nonce: nonce, echostr: echostr)
    }

    /// The signed values read straight from an ASCII query without `%` escapes and with at most eight
    /// parameters, all named differently: what ``QueryString/parse(_:)`` would decode from it (without
    /// a `%` nothing is decoded), without building its dictionary. `nil` for any other query, which
    /// ``QueryString`` then reads (and refuses with its errors).
    static func plainSignedValues(_ raw: String) -> SignedValues? {
        let result = raw.utf8.withContiguousStorageIfAvailable { bytes -> SignedValues? in
            guard let base = bytes.baseAddress, memchr(base, Int32(UInt8(ascii: "%")), bytes.count) == nil else {
                return bytes.isEmpty ? SignedValues() : nil
            }
            // ASCII only: names are then equal exactly when their bytes are (String equality is
            // canonical equivalence: the Kelvin sign equals `K`).
            guard Bytes.asciiPrefixEnd(bytes) == bytes.count else { return nil }
            return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 8) { names -> SignedValues? in
                var values = SignedValues()
                var count = 0
                var plain = true
                QueryString.forEachPair(in: bytes) { name, value in
                    // More than eight names, or a name given twice (an error QueryString reports): not plain.
                    guard count < names.count else {
                        plain = false
                        return false
                    }
                    for k in 0..<count where names[k].count == name.count
                        && memcmp(base + names[k].lowerBound, base + name.lowerBound, name.count) == 0 {
                        plain = false
                        return false
                    }
                    names[count] = name
                    count += 1
                    func text() -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[value]), as: UTF8.self) }
                    func isNamed(_ literal: StaticString) -> Bool {
                        name.count == literal.utf8CodeUnitCount && memcmp(base + name.lowerBound, literal.utf8Start, name.count) == 0
                    }
                    if isNamed("msg_signature") {
                        values.msgSignature = text()
                    } else if isNamed("timestamp") {
                        values.timestamp = text()
                    } else if isNamed("nonce") {
                        values.nonce = text()
                    } else if isNamed("echostr") {
                        values.echostr = text()
                    }
                    return true
                }
                return plain ? values : nil
            }
        }
        return result ?? nil
    }
}
