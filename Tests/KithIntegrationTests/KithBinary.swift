import Foundation
import KithConfig

/// The built `kith` executable, next to the test bundle.
var kithBinary: String {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return bundleDirectory.appendingPathComponent("kith").path
}

func kith(_ arguments: [String], config: String? = nil, environment extra: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
    var environment = ProcessInfo.processInfo.environment
    if let config { environment["KITH_CONFIG"] = config }
    environment.merge(extra) { _, new in new }
    environment.removeValue(forKey: "JOURNAL_STREAM")
    let result = try ChildProcess.run([kithBinary] + arguments, environment: environment, timeoutSeconds: 120)
    return (result.status, String(decoding: result.output, as: UTF8.self), String(decoding: result.errorOutput, as: UTF8.self))
}
