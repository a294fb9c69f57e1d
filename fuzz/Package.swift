// swift-tools-version: 6.1
// libFuzzer targets for the WeComCallback core. Not a test: `make fuzz [SECONDS=60]` builds them with
// `-sanitize=fuzzer,address` and runs each for SECONDS (see fuzz/run-fuzz.sh).
//
// Every executable here has no `main`: libFuzzer provides it and calls `LLVMFuzzerTestOneInput`.
// Build them only through run-fuzz.sh (a plain `swift build` has no libFuzzer and fails to link).
import PackageDescription

let package = Package(
    name: "wecom-fuzz",
    dependencies: [
        .package(name: "wecom-fcgi", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Raw AES-256-CBC (no padding) over libcrypto, so a fuzz target can encrypt arbitrary frames;
        // the declaration of libFuzzer's driver.
        .target(name: "CFuzzShim", linkerSettings: [.linkedLibrary("crypto")]),
        // The credentials and helpers shared by the targets.
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzShim",
                .product(name: "WeComCallback", package: "wecom-fcgi"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "fuzz-pipeline", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-xml", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "fuzz-decrypt", dependencies: ["FuzzSupport"]),
        // Differential: Envelope(parsing:) (one-pass scan or reader) against the reader's lookups alone.
        // Needs only the public API (FuzzSupport is not a dependency).
        .executableTarget(
            name: "fuzz-envelope",
            dependencies: ["CFuzzShim", .product(name: "WeComCallback", package: "wecom-fcgi")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
