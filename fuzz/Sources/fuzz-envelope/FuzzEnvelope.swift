// Differential fuzz target: Envelope(parsing:) (one-pass scan for the usual shape, XMLReader otherwise)
// against a reference built only from the public XMLReader and XMLElement lookups.
import CFuzzShim
import Foundation
import WeComCallback

func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("fuzz property violated: \(message())\n".utf8))
        fatalError("fuzz property violated")
    }
}

func reference(_ bytes: [UInt8]) -> Result<Envelope, MessageError> {
    let root: XMLElement
    do { root = try XMLReader(limits: Envelope.limits).parse(bytes) } catch { return .failure(.xml(error)) }
    guard let encrypt = root.child("Encrypt")?.text.trimmingASCIIWhitespace(), !encrypt.isEmpty else {
        return .failure(.missingField("Encrypt"))
    }
    let agent = (root.child("AgentID") ?? root.child("AgentId"))?.text.trimmingASCIIWhitespace()
    return .success(Envelope(encrypt: encrypt, toUserName: root.child("ToUserName")?.text,
                             agentID: (agent?.isEmpty ?? true) ? nil : agent))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let got: Result<Envelope, MessageError>
    do { got = .success(try Envelope(parsing: bytes)) } catch { got = .failure(error) }
    let want = reference(bytes)
    fuzzCheck(got == want, "envelope differs: got \(got) want \(want) for \(String(decoding: bytes, as: UTF8.self).debugDescription)")
    // Small limits too: the scan must defer to the reader's limit errors.
    let small = XMLReader.Limits(maxBytes: 200, maxDepth: 2, maxElements: 4)
    let got2: Result<Envelope, MessageError>
    do { got2 = .success(try Envelope(parsing: bytes, limits: small)) } catch { got2 = .failure(error) }
    let want2: Result<Envelope, MessageError>
    do {
        let root = try XMLReader(limits: small).parse(bytes)
        if let e = root.child("Encrypt")?.text.trimmingASCIIWhitespace(), !e.isEmpty {
            let agent = (root.child("AgentID") ?? root.child("AgentId"))?.text.trimmingASCIIWhitespace()
            want2 = .success(Envelope(encrypt: e, toUserName: root.child("ToUserName")?.text,
                                      agentID: (agent?.isEmpty ?? true) ? nil : agent))
        } else { want2 = .failure(.missingField("Encrypt")) }
    } catch { want2 = .failure(.xml(error)) }
    fuzzCheck(got2 == want2, "envelope (small limits) differs: got \(got2) want \(want2)")
    return 0
}

@_cdecl("fuzz_envelope_main")
public func fuzzEnvelopeMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzEnvelope)
}
