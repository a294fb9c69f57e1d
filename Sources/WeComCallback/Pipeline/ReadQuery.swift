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

    /// Envelope stage 2: reads `msg_signature`, `timestamp`, `nonce` (and `echostr` for GET).
    ///
    /// Base64 and hex never contain a space: a space in `echostr` or `msg_signature` is a `+` that was
    /// form-decoded on the way (spec §5.3), and is put back.
    /// - Returns: the parameters, or `nil` (answer 400) with `log.failure` set.
    func readQuery(_ queryString: String, isGet: Bool, log: inout RequestLog) -> SignedQuery? {
        let query: QueryString
        do {
            query = try QueryString.parse(queryString)
        } catch {
            log.failure = error.description
            return nil
        }
        // The signed parameters read straight into the result (no second dictionary per request).
        func required(_ name: String) -> String? {
            guard let value = query[name], !value.isEmpty else {
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
        guard let msgSignature = required("msg_signature"), let timestamp = required("timestamp"),
              let nonce = required("nonce")
        else { return nil }
        var echostr = ""
        if isGet {
            guard let value = required("echostr") else { return nil }
            echostr = restoringPlus(value)
        }
        return SignedQuery(msgSignature: restoringPlus(msgSignature), timestamp: timestamp, nonce: nonce, echostr: echostr)
    }
}
