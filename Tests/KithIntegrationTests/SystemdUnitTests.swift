import Foundation
import Testing
import KithConfig
import KithTestSupport

/// `systemd-analyze` on the shipped units, with ExecStart pointed at the freshly built binary.
@Suite struct SystemdUnitTests {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func prepared(_ relativePath: String) throws -> String {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kith").path
        let text = try String(contentsOf: Self.repository.appendingPathComponent(relativePath), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/kith", with: binary)
            .replacingOccurrences(of: "%h/.local/bin/kith", with: binary)
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-units")
        let path = directory.appendingPathComponent("kith.service").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: ["systemd/kith.service", "systemd/user/kith.service"])
    func unitsVerify(unit: String) throws {
        let path = try prepared(unit)
        var arguments = ["systemd-analyze", "verify", "--man=no"]
        var environment = ProcessInfo.processInfo.environment
        if unit.contains("user/") {
            arguments.append("--user")
            // No user session in CI: give systemd-analyze a runtime directory of its own.
            environment["XDG_RUNTIME_DIR"] = (path as NSString).deletingLastPathComponent
        }
        let result = try ChildProcess.run(arguments + [path], environment: environment, timeoutSeconds: 60)
        let output = String(decoding: result.output + result.errorOutput, as: UTF8.self)
        #expect(result.status == 0, "\(output)")
        #expect(!output.contains("kith.service:"), "systemd-analyze found problems: \(output)")
    }

    @Test func systemUnitIsHardened() throws {
        let path = try prepared("systemd/kith.service")
        let result = try ChildProcess.run(["systemd-analyze", "security", "--offline=yes", path], timeoutSeconds: 60)
        let output = String(decoding: result.output, as: UTF8.self)
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 2.0, "exposure \(score): \(line)")
    }
}
