import Foundation
import Platform

extension CallbackHandler {
    /// Envelope stage 4: the replay window (`[server] max_timestamp_skew_s`).
    ///
    /// A captured, validly signed request can be sent again. The retry cache answers a replay of a
    /// delivery it remembers from the cache (the action never runs twice), and it remembers each delivery
    /// for at least twice the skew; this check refuses every request whose signed `timestamp` is further
    /// than the skew from the server's clock, in either direction — so a replay either is answered from
    /// the cache or refused. Runs after the signature check, so the timestamp is the signer's.
    /// - Parameter timestamp: the `timestamp` query value (Unix seconds as decimal text).
    /// - Returns: `false` (answer 403) with `log.failure` set when the check is on and the timestamp is not
    ///   a number or is outside the window.
    func checkTimestamp(_ timestamp: String, log: inout RequestLog) -> Bool {
        guard let maxTimestampSkew else { return true }
        guard timestamp.utf8.count <= 12, let seconds = Int64(timestamp) else {
            log.failure = "timestamp is not Unix seconds"
            return false
        }
        let skew = now().timeIntervalSince1970 - Double(seconds)
        guard abs(skew) > maxTimestampSkew.inSeconds else { return true }
        log.failure = "timestamp \(Int64(skew.rounded())) s \(skew > 0 ? "behind" : "ahead of") the server clock, beyond max_timestamp_skew_s (\(Int64(maxTimestampSkew.inSeconds)) s): replay or clock skew"
        return false
    }
}
