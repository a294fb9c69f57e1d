/// `ScanCodeInfo` of the `scancode_push` / `scancode_waitmsg` events (spec §9).
public struct ScanCodeInfo: Sendable, Equatable {
    /// `ScanType`: `qrcode`, `barcode`, …
    public var scanType: String
    /// `ScanResult`: the decoded content.
    public var scanResult: String

    /// Creates the value.
    public init(scanType: String, scanResult: String) {
        self.scanType = scanType
        self.scanResult = scanResult
    }

    init(_ r: FieldReader) throws(MessageError) {
        scanType = try r.required("ScanType")
        scanResult = try r.required("ScanResult")
    }
}
