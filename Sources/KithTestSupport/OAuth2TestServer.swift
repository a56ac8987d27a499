import Foundation
import KithConfig
#if canImport(Glibc)
import Glibc
#endif

/// A local OAuth2 authorization server standing in for Microsoft's and Google's: device authorization
/// (RFC 8628) with authorization_pending and slow_down, authorization code with a PKCE S256 check,
/// refresh with rotation (a used refresh token dies), expiring access tokens, and RFC 7662 introspection
/// for Dovecot's oauth2 passdb. Python's http.server, in the background.
///
/// The test steers it through `control` (written to a file read on every request) and reads what
/// happened from `events`.
public final class OAuth2TestServer: @unchecked Sendable {
    public let port: Int
    public let clientID: String
    private let directory: URL
    private let pid: pid_t

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var introspectionURL: String { "\(baseURL)/introspect" }

    /// What the server does next; written whole on each change.
    public struct Control: Codable, Sendable {
        /// Lifetime of new access tokens, seconds.
        public var accessTTL = 3600
        /// Refreshes answer Microsoft's AADSTS50057 (user disabled).
        public var disabled = false
        /// Refreshes answer invalid_grant (token revoked).
        public var revoked = false
        /// How many refreshes answer HTTP 503 before one succeeds.
        public var refreshFailures = 0
        /// Device polls answer slow_down once before authorization_pending.
        public var slowDownOnce = true
        /// The device code's lifetime, seconds.
        public var deviceExpiresIn = 600
        public var deviceInterval = 1

        public init() {}

        enum CodingKeys: String, CodingKey {
            case accessTTL = "access_ttl", disabled, revoked, refreshFailures = "refresh_failures", slowDownOnce = "slow_down_once"
            case deviceExpiresIn = "device_expires_in", deviceInterval = "device_interval"
        }
    }

    public var control = Control() {
        didSet { try? Self.write(control, to: directory) }
    }

    public init(directory: URL, username: String, clientID: String = "kith-test-client") throws {
        self.directory = directory
        self.clientID = clientID
        port = try DovecotServer.freeLoopbackPort()
        let script = directory.appendingPathComponent("oauth2-server.py").path
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        try Self.write(Control(), to: directory)
        pid = try ChildProcess.startInBackground(
            ["python3", script, String(port), directory.path, username, clientID],
            environment: ProcessInfo.processInfo.environment, outputFile: directory.appendingPathComponent("oauth2-server.out").path)
        try BackgroundServer.waitUntilListening(port)
    }

    deinit { BackgroundServer.stop(pid) }

    private static func write(_ control: Control, to directory: URL) throws {
        let data = try JSONEncoder().encode(control)
        try data.write(to: directory.appendingPathComponent("control.json"), options: .atomic)
    }

    /// One thing the server saw: `endpoint`, and for the token endpoint `grant_type` and `result`.
    public struct Event: Sendable, Equatable {
        public var endpoint: String
        public var grantType: String?
        public var result: String
        /// For introspection: the token asked about.
        public var token: String?
    }

    public var events: [Event] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("events.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] else { return nil }
            return Event(endpoint: object["endpoint"] ?? "", grantType: object["grant_type"], result: object["result"] ?? "", token: object["token"])
        }
    }

    /// Every token the server has issued (access and refresh), to look for in places they must not be.
    public var issuedTokens: [String] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("issued.txt"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Approves (or declines) the device sign-in for `userCode`, as the user would at the verification address.
    public func approveDevice(userCode: String, decline: Bool = false) throws {
        let status = try get("\(baseURL)/device?user_code=\(userCode)\(decline ? "&decline=1" : "")")
        guard status.hasPrefix("200") else { throw TestSupportError("device approval answered \(status)") }
    }

    /// Where `address` redirects to (its Location header), without following it.
    public func redirectTarget(of address: String) throws -> String {
        let result = try ChildProcess.run(["python3", "-c", """
            import sys, http.client, urllib.parse
            url = urllib.parse.urlsplit(sys.argv[1])
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
            connection.request("GET", url.path + "?" + url.query)
            print(connection.getresponse().getheader("Location", ""))
            """, address], environment: ProcessInfo.processInfo.environment, timeoutSeconds: 30)
        return String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Opens `address` as a browser would, following redirects; returns "STATUS body".
    public func get(_ address: String) throws -> String {
        let result = try ChildProcess.run(["python3", "-c", """
            import sys, urllib.request, urllib.error
            try:
                with urllib.request.urlopen(sys.argv[1], timeout=20) as answer:
                    print(answer.status, answer.read().decode())
            except urllib.error.HTTPError as error:
                print(error.code, error.read().decode())
            """, address], environment: ProcessInfo.processInfo.environment, timeoutSeconds: 30)
        return String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let script = #"""
    import base64, hashlib, json, os, secrets, sys, threading, time, urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    port, directory, username, client_id = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    lock = threading.Lock()
    devices, codes, access_tokens = {}, {}, {}
    current_refresh = {"token": None}
    counter = {"n": 0}
    slowed = set()

    def control():
        with open(os.path.join(directory, "control.json")) as f:
            return json.load(f)

    def event(**fields):
        with open(os.path.join(directory, "events.jsonl"), "a") as f:
            f.write(json.dumps(fields) + "\n")

    def issue(ctl):
        counter["n"] += 1
        access = "at-%d-%s" % (counter["n"], secrets.token_hex(12))
        refresh = "rt-%d-%s" % (counter["n"], secrets.token_hex(12))
        access_tokens[access] = time.time() + ctl["access_ttl"]
        current_refresh["token"] = refresh
        with open(os.path.join(directory, "issued.txt"), "a") as f:
            f.write(access + "\n" + refresh + "\n")
        return {"token_type": "Bearer", "access_token": access, "refresh_token": refresh,
                "expires_in": ctl["access_ttl"], "scope": "IMAP.AccessAsUser.All"}

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, body, headers=()):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
            with lock:
                if url.path == "/device":
                    for device in devices.values():
                        if device["user_code"] == query.get("user_code"):
                            device["state"] = "declined" if query.get("decline") else "approved"
                            event(endpoint="device", result=device["state"])
                            return self.answer(200, "signed in; return to your device")
                    return self.answer(404, "unknown code")
                if url.path == "/authorize":
                    redirect = query.get("redirect_uri", "")
                    problems = []
                    if query.get("client_id") != client_id: problems.append("client_id")
                    if query.get("response_type") != "code": problems.append("response_type")
                    if not redirect.startswith("http://127.0.0.1:"): problems.append("redirect_uri")
                    if query.get("code_challenge_method") != "S256" or len(query.get("code_challenge", "")) != 43: problems.append("pkce")
                    if not query.get("state"): problems.append("state")
                    if problems:
                        event(endpoint="authorize", result="bad " + ",".join(problems))
                        return self.answer(400, "bad request: " + ",".join(problems))
                    code = secrets.token_urlsafe(16)
                    codes[code] = {"challenge": query["code_challenge"], "redirect_uri": redirect}
                    event(endpoint="authorize", result="redirected")
                    target = redirect + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
                    return self.answer(302, "", [("Location", target)])
            self.answer(404, "not found")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
            ctl = control()
            with lock:
                if self.path == "/introspect":
                    token = form.get("token", "")
                    active = token in access_tokens and access_tokens[token] > time.time() and not ctl["disabled"]
                    event(endpoint="introspect", result="active" if active else "inactive", token=token)
                    return self.answer(200, {"active": True, "username": username} if active else {"active": False})
                if self.path == "/devicecode":
                    if form.get("client_id") != client_id:
                        return self.answer(400, {"error": "invalid_client", "error_description": "AADSTS700016: unknown application"})
                    device_code = secrets.token_urlsafe(24)
                    user_code = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
                    devices[device_code] = {"user_code": user_code, "state": "pending", "expires": time.time() + ctl["device_expires_in"]}
                    event(endpoint="devicecode", result="issued")
                    base = "http://127.0.0.1:%d/device" % port
                    return self.answer(200, {"device_code": device_code, "user_code": user_code, "verification_uri": base,
                                             "verification_uri_complete": base + "?user_code=" + user_code,
                                             "expires_in": ctl["device_expires_in"], "interval": ctl["device_interval"]})
                if self.path != "/token":
                    return self.answer(404, "not found")
                grant = form.get("grant_type", "")
                def refuse(error, description, status=400, codes_=None):
                    event(endpoint="token", grant_type=grant, result=error)
                    answer = {"error": error, "error_description": description}
                    if codes_: answer["error_codes"] = codes_
                    return self.answer(status, answer)
                if form.get("client_id") != client_id:
                    return refuse("invalid_client", "AADSTS700016: unknown application", 401)
                if grant == "urn:ietf:params:oauth:grant-type:device_code":
                    device = devices.get(form.get("device_code"))
                    if device is None:
                        return refuse("bad_verification_code", "unknown device code")
                    if time.time() > device["expires"]:
                        return refuse("expired_token", "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
                    if device["state"] == "declined":
                        return refuse("authorization_declined", "AADSTS70000: the user declined")
                    if ctl["slow_down_once"] and form["device_code"] not in slowed:
                        slowed.add(form["device_code"])
                        return refuse("slow_down", "poll less often")
                    if device["state"] == "pending":
                        return refuse("authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.")
                    del devices[form["device_code"]]
                    event(endpoint="token", grant_type=grant, result="granted")
                    return self.answer(200, issue(ctl))
                if grant == "authorization_code":
                    code = codes.pop(form.get("code", ""), None)
                    if code is None:
                        return refuse("invalid_grant", "unknown or used authorization code")
                    if code["redirect_uri"] != form.get("redirect_uri"):
                        return refuse("invalid_grant", "redirect_uri does not match")
                    digest = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest()).decode().rstrip("=")
                    if digest != code["challenge"]:
                        return refuse("invalid_grant", "PKCE verification failed")
                    event(endpoint="token", grant_type=grant, result="granted")
                    return self.answer(200, issue(ctl))
                if grant == "refresh_token":
                    if ctl["refresh_failures"] > 0:
                        ctl["refresh_failures"] -= 1
                        with open(os.path.join(directory, "control.json"), "w") as f:
                            json.dump(ctl, f)
                        event(endpoint="token", grant_type=grant, result="503")
                        return self.answer(503, "busy")
                    if ctl["disabled"]:
                        return refuse("invalid_grant", "AADSTS50057: The user account is disabled. Trace ID: 5f1c Correlation ID: 77aa", codes_=[50057])
                    if ctl["revoked"]:
                        return refuse("invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.", codes_=[70008])
                    if form.get("refresh_token") != current_refresh["token"]:
                        return refuse("invalid_grant", "AADSTS70000: The refresh token was already used or is not valid.", codes_=[70000])
                    event(endpoint="token", grant_type=grant, result="granted")
                    return self.answer(200, issue(ctl))
                return refuse("unsupported_grant_type", grant)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """#
}
