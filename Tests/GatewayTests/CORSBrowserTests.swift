import DemoServices
import Foundation
import Testing

/// The demo's CORS policy (the `cors:` of the repository's `Gateway.yaml`) in a real browser:
/// headless Chromium loads `demo/cors-demo.html` from another origin and `fetch`es the gateway.
/// From an allowed origin the page reads both answers (a GET with the tutorial's appid/appkey
/// headers, which `auth` requires, and a JSON POST, each after its preflight); from an origin
/// the policy does not name, the browser blocks both, and neither reaches the backend.
@Suite("CORS in a browser")
struct CORSBrowserTests {
    /// Chromium from Debian's `chromium` package (`scripts/install-deps.sh`), if installed.
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed: apt-get install chromium"))
    func aPageOnAnAllowedOriginReadsTheAnswersAndAnotherIsBlocked() async throws {
        let page = try String(contentsOfFile: repositoryRoot + "/demo/cors-demo.html", encoding: .utf8)
        let demo = try Self.demoBlock("auth:") + "\n" + Self.demoBlock("cors:")
        try await withGateway(extraConfig: demo) { harness in
            // Two loopback origins: 127.0.0.1 is in the demo's allowOrigins, 127.0.0.2 is not.
            let allowedSite = try await StaticPageServer.start(host: "127.0.0.1", page: page)
            let otherSite = try await StaticPageServer.start(host: "127.0.0.2", page: page)
            let query = "?gateway=http://127.0.0.1:\(harness.gatewayPort)"
            do {
                let allowed = try await Self.dumpDOM("http://127.0.0.1:\(allowedSite.port)/cors-demo.html\(query)")
                #expect(allowed.contains(#"data-done="true""#), "\(allowed)")
                let get = Self.text(of: "get", in: allowed)
                #expect(get.hasPrefix("200 {") && get.contains(#""name":"Ada Lovelace""#), "\(get)")
                let post = Self.text(of: "post", in: allowed)
                #expect(post.hasPrefix("200 {") && post.contains("from another origin"), "\(post)")
                #expect(harness.observer.calls(method: "Echo") == 1)

                let other = try await Self.dumpDOM("http://127.0.0.2:\(otherSite.port)/cors-demo.html\(query)")
                #expect(other.contains(#"data-done="true""#), "\(other)")
                #expect(Self.text(of: "get", in: other).hasPrefix("blocked: TypeError"), "\(other)")
                #expect(Self.text(of: "post", in: other).hasPrefix("blocked: TypeError"), "\(other)")
                // Both preflights were refused: neither request was sent.
                #expect(harness.getUserCounts == [1])
                #expect(harness.observer.calls(method: "Echo") == 1)
            } catch {
                await allowedSite.stop()
                await otherSite.stop()
                throw error
            }
            await allowedSite.stop()
            await otherSite.stop()
        }
    }

    /// The top-level block `key` (e.g. `cors:`) of the repository's `Gateway.yaml`, as YAML text.
    static func demoBlock(_ key: String) throws -> String {
        let lines = try String(contentsOfFile: repositoryRoot + "/Gateway.yaml", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: Substring(key)) else { throw TestFailure("Gateway.yaml has no \(key)") }
        let block = lines[start...].prefix { $0 == key || $0.hasPrefix(" ") || $0.hasPrefix("#") }
        return block.joined(separator: "\n")
    }

    /// The text of the element with `id` in a dumped DOM.
    static func text(of id: String, in dom: String) -> String {
        guard let open = dom.range(of: "id=\"\(id)\">"), let close = dom[open.upperBound...].range(of: "</code>")
        else { return "" }
        return String(dom[open.upperBound..<close.lowerBound])
    }

    /// The DOM of `url` once its script settled, as headless Chromium dumps it.
    static func dumpDOM(_ url: String) async throws -> String {
        let profile = NSTemporaryDirectory() + "portico-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
            // Virtual time runs the page until its fetches settle, then the DOM is printed.
            "--virtual-time-budget=10000", "--dump-dom", url,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A browser that hangs fails the test instead of holding it.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        let data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: output.fileHandleForReading.readDataToEndOfFile())
            }
        }
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationStatus == 0 else {
            throw TestFailure("chromium exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
