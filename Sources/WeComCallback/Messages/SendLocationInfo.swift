/// `SendLocationInfo` of the `location_select` event (spec §9).
public struct SendLocationInfo: Sendable, Equatable {
    /// `Location_X`: latitude in degrees.
    public var latitude: Double
    /// `Location_Y`: longitude in degrees.
    public var longitude: Double
    /// `Scale`: map zoom; `nil` when absent or empty.
    public var scale: Int?
    /// `Label`: address text; `nil` when absent.
    public var label: String?
    /// `Poiname`: point-of-interest name, may be empty; `nil` when absent.
    public var poiname: String?

    /// Creates the value.
    public init(latitude: Double, longitude: Double, scale: Int?, label: String?, poiname: String?) {
        self.latitude = latitude
        self.longitude = longitude
        self.scale = scale
        self.label = label
        self.poiname = poiname
    }

    init(_ r: FieldReader) throws(MessageError) {
        latitude = try r.requiredDouble("Location_X")
        longitude = try r.requiredDouble("Location_Y")
        scale = try r.int("Scale")
        label = r.string("Label")
        poiname = r.string("Poiname")
    }
}
