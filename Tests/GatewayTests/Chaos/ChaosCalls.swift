import Foundation
import NIOHTTP1

/// The call kinds scenario 1 runs through the weather, each checked end to end.
enum ChaosCallKind: String, CaseIterable, Sendable {
    /// `POST /v1/echo`: the answer echoes the request's fields.
    case unary = "unary (POST /v1/echo)"
    /// `GET /v1/files/chaos.bin:chunks`: every chunk, in order, no error element.
    case ndjson = "server stream, NDJSON"
    /// The same as Server-Sent Events.
    case sse = "server stream, SSE"
    /// `GET /v1/files/chaos.bin`: the file's bytes.
    case raw = "server stream, raw bytes"
    /// `POST /v1/uploads`, 16 messages sent one by one: the backend stored the same bytes.
    case upload = "client-streaming upload"
    /// `POST /v1/chat` over HTTP chunked: 10 messages, each reply awaited before the next.
    case chat = "bidi chat, HTTP chunked"
    /// `/v1/chat` over WebSocket: 10 frames, each reply awaited; close 1000.
    case webSocket = "bidi chat, WebSocket"
}

extension ChaosStack {
    /// How long any call may take before it counts as hung.
    static let hangLimit = Duration.seconds(30)

    /// Runs one call of `kind` (`index` makes its content unique) and checks its result.
    func call(_ kind: ChaosCallKind, index: Int) async -> ChaosOutcome {
        do {
            switch kind {
            case .unary: return try await unary(index)
            case .ndjson: return try await download(accept: nil)
            case .sse: return try await download(accept: "text/event-stream")
            case .raw: return try await rawDownload()
            case .upload: return try await upload(index)
            case .chat: return try await chat(index)
            case .webSocket: return try await webSocketChat(index)
            }
        } catch {
            return ChaosOutcome(ok: false, seconds: 0, detail: "could not start: \(error)")
        }
    }

    private func unary(_ index: Int) async throws -> ChaosOutcome {
        let client = try await TestHTTPClient.connect(port: port)
        defer { Task { await client.close() } }
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            // fInt64 never 0: proto3 JSON leaves a zero out.
            let body = #"{"fString":"chaos-\#(index)","fInt64":"\#(index + 1)"}"#
            let response = try await client.send(.POST, "/v1/echo", body: body)
            let object = try response.jsonObject()
            guard response.status == 200, object["fString"] as? String == "chaos-\(index)",
                object["fInt64"] as? String == "\(index + 1)"
            else { return "\(response.status) \(response.text)" }
            return nil
        }
    }

    private func download(accept: String?) async throws -> ChaosOutcome {
        let client = try await StreamingTestClient.start(
            port: port,
            method: .GET,
            uri: "/v1/files/\(Self.payloadName):chunks",
            headers: accept.map { [("Accept", $0)] } ?? [],
            chunkedBody: false
        )
        try await client.end()
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            var stream = ChaosLineStream(client)
            var received: [UInt8] = []
            while let line = await stream.nextLine() {
                guard stream.status == 200 else { return "\(stream.status) \(line)" }
                if line.isEmpty { continue }
                var json = Substring(line)
                if accept != nil {
                    guard json.hasPrefix("data: ") else { return "not an SSE data line: \(line.prefix(100))" }
                    json = json.dropFirst("data: ".count)
                }
                guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                    let content = (object["content"] as? String).flatMap({ Data(base64Encoded: $0) })
                else { return "unexpected element: \(line.prefix(200))" }
                received += content
            }
            guard stream.status == 200, stream.endedCleanly else {
                return "status \(stream.status), ended cleanly: \(stream.endedCleanly)"
            }
            return received == payload ? nil : "\(received.count) bytes, not the file's \(payload.count)"
        }
    }

    private func rawDownload() async throws -> ChaosOutcome {
        let client = try await StreamingTestClient.get(port: port, uri: "/v1/files/\(Self.payloadName)")
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            let response = await client.collect()
            guard response.status == 200, response.body == payload else {
                return "\(response.status), \(response.body.count) bytes, not the file's \(payload.count)"
            }
            return nil
        }
    }

    private func upload(_ index: Int) async throws -> ChaosOutcome {
        let name = "upload-\(index)-\(UUID().uuidString).bin"
        let client = try await StreamingTestClient.start(port: port, method: .POST, uri: "/v1/uploads")
        defer { try? FileManager.default.removeItem(atPath: filesDirectory + "/" + name) }
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            let pieces = stride(from: 0, to: payload.count, by: 4096).map {
                payload[$0..<min($0 + 4096, payload.count)]
            }
            for (number, piece) in pieces.enumerated() {
                let content = Data(piece).base64EncodedString()
                let nameField = number == 0 ? #""name":"\#(name)","# : ""
                try await client.send("{\(nameField)\"content\":\"\(content)\"}\n")
            }
            try await client.end()
            let response = await client.collect()
            guard response.status == 200, response.text.contains("success") else {
                return "\(response.status) \(response.text)"
            }
            let stored = FileManager.default.contents(atPath: filesDirectory + "/" + name).map { [UInt8]($0) }
            return stored == payload ? nil : "the backend stored \(stored?.count ?? 0) other bytes"
        }
    }

    private func chat(_ index: Int) async throws -> ChaosOutcome {
        let client = try await StreamingTestClient.start(port: port, method: .POST, uri: "/v1/chat")
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            var stream = ChaosLineStream(client)
            for turn in 1...10 {
                try await client.send(#"{"message":"c\#(index)-\#(turn)"}"# + "\n")
                let reply = await stream.nextLine()
                guard reply == #"{"message":"you said: c\#(index)-\#(turn)"}"# else {
                    return "turn \(turn): \(reply ?? "the response ended")"
                }
            }
            try await client.end()
            let rest = await stream.rest()
            guard stream.status == 200, stream.endedCleanly, rest.allSatisfy(\.isEmpty) else {
                return "status \(stream.status), ended cleanly: \(stream.endedCleanly), then \(rest)"
            }
            return nil
        }
    }

    private func webSocketChat(_ index: Int) async throws -> ChaosOutcome {
        let session = try await WebSocketTestClient.connect(port: port, path: "/v1/chat")
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: session) {
            var events = session.events.makeAsyncIterator()
            for turn in 1...10 {
                try await session.send(text: #"{"message":"w\#(index)-\#(turn)"}"#)
                let reply = await events.next()
                guard reply == .text(#"{"message":"you said: w\#(index)-\#(turn)"}"#) else {
                    return "turn \(turn): \(String(describing: reply))"
                }
            }
            try await session.sendClose()
            let close = await events.next()
            await session.close()
            return close == .close(code: 1000, reason: "") ? nil : "closed with \(String(describing: close))"
        }
    }
}
