import Foundation
import Testing

/// The README's console sessions, run for real: every `$ curl ...` line of a ```console block
/// (pipelines and `&&` chains with curl included) runs with `/bin/sh -c` against a demo backend
/// and a gateway configured as `make run` configures them (the repository's `Gateway.yaml`, see
/// ``ReadmeGateway``), `localhost:8080` pointing at the test gateway, in a temporary directory
/// whose `demo-files/` is what the backend serves. Its stdout must be the lines the README
/// shows after it (``ReadmeCommand``), compared by ``ReadmeOutput``: exactly, but for one
/// placeholder, `..."`, standing for the rest of a JSON string (the README abbreviates base64).
///
/// - Commands without curl (`head -c ... > big.bin`) run before every later command of their
///   block, which may read their files; their output is checked too.
/// - `curl -sN -T - -X POST localhost:8080/v1/chat` reads the terminal: the README shows typed
///   lines and replies alternately, so the typed lines go to stdin and the replies are compared.
/// - `python3 -m websockets ...` lines are a Python client, not curl: they are skipped, and
///   ``onlyWebSocketClientLinesAreSkipped()`` checks that nothing else is.
/// - Comment-only lines (`# Server streaming ...`) are prose, not commands.
@Suite("README console sessions")
struct ReadmeConsoleTests {
    /// One case per command, named `README.md:<line> $ <command>`.
    @Test(arguments: ReadmeCommand.runnable)
    func readmeCommandPrintsWhatTheReadmeShows(_ command: ReadmeCommand) async throws {
        let configuration = try ReadmeGateway.configurationBody()
        try await withGateway(replacingBackends: configuration) { harness in
            let directory = try ReadmeGateway.workspace(for: harness)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for step in command.setup + [command] {
                let output = try await ReadmeGateway.run(step, in: directory, port: harness.gatewayPort)
                let printed = ReadmeOutput.lines(of: output.stdout)
                let same = ReadmeOutput.matches(printed, step.expectedLines)
                #expect(
                    output.status == 0 && same,
                    """
                    \(step.testDescription)
                    exit status \(output.status)\(output.stderr.isEmpty ? "" : ", stderr: \(output.stderr)")
                    README shows:
                    \(step.expectedLines.joined(separator: "\n"))
                    printed:
                    \(printed.joined(separator: "\n"))
                    """
                )
            }
        }
    }

    /// The Python WebSocket client lines are the only commands not run.
    @Test func onlyWebSocketClientLinesAreSkipped() {
        let skipped = ReadmeCommand.all.filter {
            if case .skipped = $0.kind { return true }
            return false
        }
        #expect(!skipped.isEmpty)
        for command in skipped {
            #expect(command.text.hasPrefix("python3 -m websockets "), "\(command.testDescription) is not run")
        }
    }

    /// Guards the parser: if it stopped finding the README's sessions, the cases above would
    /// pass by being absent.
    @Test func theParserFindsTheReadmeSessions() throws {
        let commands = ReadmeCommand.all
        #expect(ReadmeDocument.repository.blocks("console").count >= 3)
        #expect(ReadmeCommand.runnable.count >= 15)
        let keyed = "curl -s -H 'appid: itxs' -H 'appkey: 11223344' localhost:8080/v1/users/1"
        let users = try #require(commands.first { $0.text == keyed })
        #expect(users.kind == .run)
        #expect(users.shown == [#"{"id":1,"name":"Ada Lovelace"}"#])
        let anonymous = try #require(commands.first { $0.text.hasPrefix("curl -s localhost:8080/v1/users/1") })
        #expect(anonymous.shown == [#"{"code":16,"message":"no API key (provider appkeys)","details":[]}"#])
        let notFound = try #require(
            commands.first {
                $0.text.hasPrefix("curl -s -i -H 'appid: itxs' -H 'appkey: 11223344' localhost:8080/v1/users/9")
            }
        )
        #expect(notFound.shown.first == "HTTP/1.1 404 Not Found")
        #expect(notFound.shown.contains(""), "the blank line between head and body is output")
        let upload = try #require(commands.first { $0.text.hasPrefix("printf ") })
        #expect(upload.text.contains("\n    | curl -s -T - -X POST localhost:8080/v1/uploads"))
        #expect(upload.kind == .run)
        let chat = try #require(commands.first { $0.kind == .terminalSession })
        #expect(chat.stdinLines == [#"{"message":"hi"}"#, #"{"message":"still there?"}"#])
        #expect(chat.expectedLines == [#"{"message":"you said: hi"}"#, #"{"message":"you said: still there?"}"#])
        let bigUpload = try #require(commands.first { $0.text.hasPrefix("curl -s -T big.bin") })
        #expect(bigUpload.setup.map(\.text) == ["head -c 5000000 /dev/urandom > big.bin"])
    }

    /// The placeholder rule, and that the comparison fails where it should.
    @Test func placeholderStandsForTheRestOfOneJSONStringOnly() {
        let shown = #"{"name":"sample.bin","content":"AAECAwQF..."}"#
        #expect(ReadmeOutput.lineMatches(#"{"name":"sample.bin","content":"AAECAwQFBgc="}"#, shown))
        #expect(ReadmeOutput.lineMatches(#"{"name":"sample.bin","content":"AAECAwQF"}"#, shown))
        #expect(!ReadmeOutput.lineMatches(#"{"name":"sample.bin","content":"AAECAwQX"}"#, shown))
        #expect(!ReadmeOutput.lineMatches(#"{"name":"sample.bin","content":"AAECAwQF","x":1}"#, shown))
        #expect(!ReadmeOutput.lineMatches(#"{"name":"other.bin","content":"AAECAwQF"}"#, shown))
        #expect(ReadmeOutput.lineMatches(#"{"message":"a \"quoted\" word"}"#, #"{"message":"..."}"#))
        #expect(!ReadmeOutput.lineMatches(#"{"id":1}"#, #"{"id":2}"#))
        #expect(
            ReadmeOutput.lines(of: Array("HTTP/1.1 200 OK\r\nA: b\r\n\r\n{}\n\n".utf8)) == [
                "HTTP/1.1 200 OK", "A: b", "", "{}",
            ]
        )
        #expect(!ReadmeOutput.matches(["a", "b"], ["a"]))
    }
}
