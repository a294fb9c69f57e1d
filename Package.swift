// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "wecom-fcgi",
    products: [
        .library(name: "WeComCallback", targets: ["WeComCallback"]),
        .library(name: "WeComSimulation", targets: ["WeComSimulation"]),
        .executable(name: "wecom-fcgi", targets: ["wecom-fcgi"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C worlds: modulemaps only, nothing else lives here.
        .systemLibrary(
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // hiredis (Redis's own C client) for the [cluster] stores; only Stores/Redis/RedisConnection.swift uses it.
        .systemLibrary(
            name: "CHiredis",
            // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a warning; the
            // shim includes <hiredis/hiredis.h> from /usr/include and the modulemap links libhiredis.
            providers: [.apt(["libhiredis-dev"])]
        ),
        // libcurl's headers for every HTTP transfer (the WeCom API, media, the llm action, response_url): byte limits,
        // deadlines and cancellation enforced while reading; only WeComCallback/HTTP/ uses it. Not linked: the
        // first transfer loads libcurl.so.4 with dlopen (HTTP/CurlLibrary.swift), so a server that makes no HTTP
        // request never maps it. No pkgConfig (libcurl.pc would add -lcurl); the shim includes <curl/curl.h>.
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // glibc's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not export.
        .systemLibrary(name: "CSpawn"),
        // The one POSIX layer: the C library import, the EINTR-retrying syscall wrapper, the lock type.
        .target(name: "Platform"),
        // The transport-free core: request in, response out.
        .target(
            name: "WeComCallback",
            dependencies: [
                "COpenSSL",
                "CHiredis",
                "CCurl",
                "CSpawn",
                "Platform",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Playing WeCom: inbound XML, signed requests, reply checks, curl fixtures. Used by the CLI's
        // `simulate` and `fixtures` commands and by the tests; never by the server path.
        .target(
            name: "WeComSimulation",
            dependencies: ["WeComCallback"]
        ),
        // libfcgi behind one thin Swift type; knows nothing about WeCom.
        .target(
            name: "FastCGI",
            dependencies: [
                "CFastCGI",
                "Platform",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "wecom-fcgi",
            dependencies: [
                "WeComCallback",
                "WeComSimulation",
                "FastCGI",
                "Platform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "WeComCallbackTests",
            dependencies: ["WeComCallback", "WeComSimulation", "Platform"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: [
                "FastCGI",
                "Platform",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
