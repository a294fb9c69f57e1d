// Fuzz target: the hardened XML reader and the message model on arbitrary bytes.
//
// Properties: nothing traps or over-reads (ASan); a parsed message's JSON form is valid JSON; an echo
// reply renders XML that our own reader parses back.
import Foundation
import FuzzSupport
import WeComCallback

/// libFuzzer's entry: one input, any bytes (an XML document or not).
/// - Parameters:
///   - data: the input bytes (`nil` when `size` is 0).
///   - size: the input length in bytes.
/// - Returns: 0 (the input is always kept eligible for the corpus).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? XMLReader().parse(bytes)
    _ = try? Envelope(parsing: bytes)
    guard let message = try? InboundMessage(xml: bytes) else { return 0 }
    // The JSON form (what external actions receive) must be valid JSON for any parsed message.
    let json = message.jsonData()
    fuzzCheck((try? JSONSerialization.jsonObject(with: Data(json))) != nil, "jsonData() is not JSON")
    guard let reply = PassiveReply.echo(for: message) else { return 0 }
    let xml = reply.renderXML(toUser: message.fromUserName, fromUser: FuzzFixture.corpID, createTime: 1_700_000_000)
    let reparsed: XMLElement
    do {
        reparsed = try XMLReader().parse(Array(xml.utf8))
    } catch {
        fuzzCheck(false, "rendered reply does not parse: \(error)")
        return 0
    }
    fuzzCheck(reparsed.name == "xml", "rendered reply root is <\(reparsed.name)>")
    return 0
}

/// The executable's entry point (see `runLibFuzzer`): libFuzzer's driver on `fuzzXML`.
/// - Parameters:
///   - argc: the argument count.
///   - argv: the arguments (libFuzzer flags, corpus directories or inputs to replay).
/// - Returns: libFuzzer's exit status.
@_cdecl("fuzz_xml_main")
public func fuzzXMLMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, fuzzXML)
}
