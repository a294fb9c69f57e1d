import Foundation

/// Access to the `Fixtures` folder copied into the test bundle.
enum Fixture {
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures folder missing from the test bundle")
        }
        return url
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func vectors() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("vectors.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
