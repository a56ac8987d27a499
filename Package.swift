// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kith",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kith", targets: ["kith"]),
        .executable(name: "kith-sample", targets: ["kith-sample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        // C libraries, confined to the targets that wrap them.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),

        // Pure layers.
        .target(name: "KithIMAPWire"),
        .target(name: "KithMail", dependencies: ["CLibCrypto"]),

        // I/O layers.
        .target(name: "KithIMAP", dependencies: [
            "CCurl", "KithIMAPWire", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KithConfig", dependencies: ["TOMLKit"]),
        .target(name: "KithArchive", dependencies: [
            "KithMail", "CSQLiteTuning", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        .target(name: "KithOAuth", dependencies: [
            "KithIMAP", "KithMail", "KithConfig", "KithArchive", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KithSetup", dependencies: ["KithIMAP", "KithConfig"]),
        .target(name: "KithHarvest", dependencies: [
            "KithIMAP", "KithMail", "KithConfig", "KithArchive", "KithOAuth",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KithDaemon", dependencies: [
            "KithHarvest", "KithConfig", "KithArchive", "KithIMAP", "KithMail",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KithCLI", dependencies: [
            "KithHarvest", "KithOAuth", "KithSetup", "KithConfig", "KithArchive", "KithMail", "KithDaemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "kith", dependencies: ["KithCLI"]),

        // Test support: a private Dovecot and a generated mailbox, shared by tests and the demo.
        .target(name: "KithTestSupport", dependencies: ["KithMail", "KithConfig"]),
        .executableTarget(name: "kith-sample", dependencies: ["KithTestSupport", "KithConfig"]),

        .testTarget(name: "KithIMAPWireTests", dependencies: ["KithIMAPWire", "KithTestSupport"]),
        .testTarget(name: "KithMailTests", dependencies: [
            "KithMail", "KithHarvest", "KithArchive", "KithTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "KithConfigTests", dependencies: ["KithConfig"]),
        .testTarget(name: "KithArchiveTests", dependencies: ["KithArchive", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "KithDaemonTests", dependencies: ["KithDaemon", "KithHarvest", "KithIMAP", "KithTestSupport", "KithArchive", "KithConfig", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "KithIntegrationTests", dependencies: [
            "KithTestSupport", "KithOAuth", "KithSetup", "KithHarvest", "KithArchive", "KithConfig", "KithIMAP", "KithIMAPWire", "KithMail",
        ]),
    ]
)
