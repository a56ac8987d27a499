import ArgumentParser
import Foundation
import KithHarvest

/// `kith parse-headers`: run the harvest's extraction on header files, one JSON line per file.
struct ParseHeadersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse-headers", abstract: "Extract correspondents from raw header files, as a harvest would.")

    @Option(name: .customLong("me"), help: "An owner address (repeatable).")
    var owner: [String] = []

    @Argument(help: "Files holding raw header blocks.")
    var files: [String]

    func run() throws {
        let extractor = MessageExtractor(ownerAddresses: owner)
        var failed = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("cannot read \(file)")
                failed = true
                continue
            }
            let message = extractor.extract(headerBytes: [UInt8](data))
            let object: [String: Any] = [
                "file": file,
                "direction": message.direction.rawValue,
                "automated": message.automated,
                "correspondents": message.correspondents.map { correspondent -> [String: Any] in
                    var object: [String: Any] = ["email": correspondent.email, "name": correspondent.name ?? NSNull(), "role": correspondent.role.rawValue]
                    if let spelling = correspondent.spelling { object["spelling"] = spelling }
                    return object
                },
            ]
            let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: json, as: UTF8.self))
        }
        if failed { throw ExitCode(2) }
    }
}
