import Foundation
import Testing
import KithConfig
import KithTestSupport

/// `kith add` against a local DNS server (MX, SRV) and a local HTTPS autoconfig server with a test CA.
private func add(_ arguments: [String], directory: URL, environment extra: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "KITH_CONFIG")
    for (key, value) in extra { environment[key] = value }
    let result = try ChildProcess.run([kithBinary, "add"] + arguments + ["--config", directory.appendingPathComponent("kith.toml").path],
                                      environment: environment, timeoutSeconds: 60)
    return (result.status, String(decoding: result.output, as: UTF8.self), String(decoding: result.errorOutput, as: UTF8.self))
}

private func mode(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
}

@Suite(.serialized) struct AddCommandTests {
    /// A closed loopback port: autoconfig fails at once instead of reaching the internet.
    private static let nowhere = ["KITH_TEST_CONNECT_TO": "127.0.0.1:9"]

    @Test func microsoft365FoundByMXWithItsOAuth2Table() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-add")
        let dns = try DNSTestServer(directory: directory, mx: ["contoso.test": ["contoso-test.mail.protection.outlook.com"]])
        let result = try add(["ada@contoso.test", "--closes-on", "2027-03-31", "--client-id", "11111111-2222-3333-4444-555555555555", "--no-login"],
                             directory: directory, environment: ["KITH_DNS_SERVER": dns.address].merging(Self.nowhere) { $1 })
        #expect(result.status == 0, "\(result.output) \(result.errors)")
        #expect(result.output.contains("found imaps://outlook.office365.com by the MX record contoso-test.mail.protection.outlook.com (Microsoft 365)"), "\(result.output)")
        #expect(result.output.contains("check-config: ok (") && result.output.contains("next: kith login --account contoso"), "\(result.output)")
        let file = directory.appendingPathComponent("accounts.d/contoso.toml").path
        #expect(mode(file) == 0o600)
        let account = try #require(try ConfigLoader.load(path: directory.appendingPathComponent("kith.toml").path).account(named: "contoso"))
        #expect(account.url == "imaps://outlook.office365.com" && account.username == "ada@contoso.test" && account.auth == .xoauth2)
        #expect(account.oauth2?.provider == .microsoft && account.oauth2?.clientID == "11111111-2222-3333-4444-555555555555")
        #expect(account.deprovisioning?.closesOnText == "2027-03-31")

        // A second Microsoft job reuses the app registration; the same name again is refused.
        let dns2 = try DNSTestServer(directory: directory, mx: ["fabrikam.test": ["fabrikam-test.mail.protection.outlook.com"]])
        let second = try add(["grace@fabrikam.test", "--no-login"], directory: directory, environment: ["KITH_DNS_SERVER": dns2.address].merging(Self.nowhere) { $1 })
        #expect(second.status == 0, "\(second.errors)")
        #expect(try String(contentsOfFile: directory.appendingPathComponent("accounts.d/fabrikam.toml").path, encoding: .utf8)
            .contains("client_id = \"11111111-2222-3333-4444-555555555555\""))
        let again = try add(["ada@contoso.test", "--no-login"], directory: directory, environment: ["KITH_DNS_SERVER": dns.address])
        #expect(again.status == 2 && again.errors.contains("exists already"), "\(again.errors)")
    }

    @Test func gmailFromTheTableLeavesTheClientIdToTheUser() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-add")
        let result = try add(["me@gmail.com"], directory: directory, environment: ["KITH_DNS_SERVER": "127.0.0.1:9"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("by the built-in table of providers"), "\(result.output)")
        #expect(result.output.contains("next: set client_id in"), "no sign-in without a client id: \(result.output)")
        let text = try String(contentsOfFile: directory.appendingPathComponent("accounts.d/gmail.toml").path, encoding: .utf8)
        #expect(text.contains("provider = \"google\"") && text.contains("# client_id ="))
        #expect(mode(directory.appendingPathComponent("kith.toml").path) == 0o600, "the main config was created from the template")
    }

    @Test func srvRecordsAndAPasswordAccount() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-add")
        let dns = try DNSTestServer(directory: directory, mx: ["srvco.test": ["mx.srvco.test"]], srv: ["_imaps._tcp.srvco.test": (993, "mail.srvco.test")])
        let result = try add(["me@srvco.test", "--name", "srvco"], directory: directory, environment: ["KITH_DNS_SERVER": dns.address].merging(Self.nowhere) { $1 })
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("MX: mx.srvco.test (no known provider)"), "\(result.output)")
        #expect(result.output.contains("found imaps://mail.srvco.test:993 by the SRV record _imaps._tcp.srvco.test"), "\(result.output)")
        #expect(result.output.contains("next: put the password in"), "\(result.output)")
        let account = try #require(try ConfigLoader.load(path: directory.appendingPathComponent("kith.toml").path).account(named: "srvco"))
        guard case .file(let passwordFile) = account.password else { Issue.record("not a password file: \(account.password)"); return }
        #expect(URL(fileURLWithPath: passwordFile).standardizedFileURL == directory.appendingPathComponent("srvco.password").standardizedFileURL)
    }

    @Test func autoconfigOverHTTPS() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-add")
        let dns = try DNSTestServer(directory: directory)
        let autoconfig = try AutoconfigTestServer(directory: directory, domain: "autoco.test", imapHost: "mail.autoco.test", imapPort: 993)
        let result = try add(["me@autoco.test"], directory: directory, environment: ["KITH_DNS_SERVER": dns.address].merging(autoconfig.environment) { $1 })
        #expect(result.status == 0, "\(result.output) \(result.errors)")
        #expect(result.output.contains("found imaps://mail.autoco.test by autoconfig at autoconfig.autoco.test (autoco.test mail)"), "\(result.output)")
        #expect(try ConfigLoader.load(path: directory.appendingPathComponent("kith.toml").path).account(named: "autoco")?.url == "imaps://mail.autoco.test")

        // Without the test CA the certificate is refused: autoconfig is HTTPS with verification only.
        let untrusted = try add(["me@autoco.test", "--name", "other"], directory: directory,
                                environment: ["KITH_DNS_SERVER": dns.address, "KITH_TEST_CONNECT_TO": "127.0.0.1:\(autoconfig.port)"])
        #expect(untrusted.status == 2 && untrusted.errors.contains("give it with --url"), "\(untrusted.output) \(untrusted.errors)")
    }

    @Test func nothingFoundAsksForURL() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-add")
        let dns = try DNSTestServer(directory: directory)
        let result = try add(["me@nothing.test"], directory: directory, environment: ["KITH_DNS_SERVER": dns.address].merging(Self.nowhere) { $1 })
        #expect(result.status == 2)
        #expect(result.errors.contains("could not find the mail server of me@nothing.test; give it with --url"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("accounts.d/nothing.toml").path))
        let given = try add(["me@nothing.test", "--url", "imaps://imap.nothing.test"], directory: directory, environment: ["KITH_DNS_SERVER": dns.address])
        #expect(given.status == 0 && given.output.contains("found imaps://imap.nothing.test by --url"), "\(given.errors)")
    }

    @Test func aFirstRunExplainsItselfAndInitWritesTheTemplate() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-add")
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = directory.appendingPathComponent("missing.toml").path
        let status = try ChildProcess.run([kithBinary, "status"], environment: environment, timeoutSeconds: 30)
        let errors = String(decoding: status.errorOutput, as: UTF8.self)
        #expect(status.status == 2)
        #expect(errors.contains("no configuration file; looked at $KITH_CONFIG (\(directory.path)/missing.toml)"), "\(errors)")
        #expect(errors.contains("/etc/kith/kith.toml") && errors.contains("kith add you@work.example") && !errors.contains(":0:"), "\(errors)")

        let path = directory.appendingPathComponent("fresh/kith.toml").path
        let initialised = try kith(["init", "--config", path])
        #expect(initialised.status == 0 && mode(path) == 0o600, "\(initialised.errors)")
        let check = try kith(["check-config", "--config", path])
        #expect(check.status == 0 && check.output.contains("ok: 0 accounts"), "\(check.output) \(check.errors)")
        #expect(try kith(["init", "--config", path]).status == 2, "never overwritten")
    }
}
