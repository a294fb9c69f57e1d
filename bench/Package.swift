// swift-tools-version: 6.1
// In-process micro-benchmarks of the WeComCallback core. Not a test: `make bench` runs it.
import PackageDescription

let package = Package(
    name: "wecom-bench",
    dependencies: [
        .package(name: "wecom-fcgi", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "wecom-micro",
            dependencies: [
                .product(name: "WeComCallback", package: "wecom-fcgi"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
