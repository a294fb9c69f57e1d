import Foundation
@testable import WeComCallback

/// The spec's test vectors (`Fixtures/vectors.json`, copied from the protocol spec §14).
/// Immutable after loading, so sharing it between test threads is safe.
struct Vectors: @unchecked Sendable {
    let root: [String: Any]

    static let shared: Vectors = {
        guard let url = Bundle.module.url(forResource: "Fixtures/vectors", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { fatalError("Fixtures/vectors.json missing from the test bundle") }
        return Vectors(root: object)
    }()

    func list(_ key: String) -> [[String: Any]] { root[key] as? [[String: Any]] ?? [] }

    func entry(_ id: String) -> [String: Any] {
        for key in ["published", "generated", "generated_compat", "negative"] {
            if let found = list(key).first(where: { $0["id"] as? String == id }) { return found }
        }
        fatalError("no vector \(id)")
    }

    /// The credential set of a vector: inline `credentials` or `credentials_ref`.
    func credentials(_ vector: [String: Any]) -> (token: String, key: String, receiveID: String) {
        var c = vector["credentials"] as? [String: Any]
        if c == nil, let ref = vector["credentials_ref"] as? String {
            c = (root["credential_sets"] as? [String: Any])?[ref] as? [String: Any]
        }
        guard let c else { fatalError("vector without credentials") }
        return (c["token"] as? String ?? "", c["encoding_aes_key"] as? String ?? "", c["receive_id"] as? String ?? "")
    }

    func crypt(_ vector: [String: Any], random: [UInt8]? = nil) throws -> WXBizMsgCrypt {
        let c = credentials(vector)
        return try WXBizMsgCrypt(
            token: c.token, encodingAESKey: c.key, receiveID: c.receiveID,
            random: random.map { FixedRandom($0) } ?? SystemRandom())
    }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ path: String) -> String? {
        var node: Any? = self
        for part in path.split(separator: ".") { node = (node as? [String: Any])?[String(part)] }
        return node as? String
    }
    func int(_ path: String) -> Int? {
        var node: Any? = self
        for part in path.split(separator: ".") { node = (node as? [String: Any])?[String(part)] }
        return node as? Int
    }
}

func bytes(hex: String) -> [UInt8] {
    var out = [UInt8]()
    var chars = Array(hex.utf8).makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let hi = chars.next(), let lo = chars.next() { out.append(nibble(hi) << 4 | nibble(lo)) }
    return out
}
