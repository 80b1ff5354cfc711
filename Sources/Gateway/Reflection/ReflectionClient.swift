import NIOCore
import SwiftProtobuf
import Upstream

/// Fetches a backend's schema over gRPC server reflection, through the backend's own live
/// ``Cluster`` (its endpoints, TLS, balancing and HTTP/2 connections): `list_services`, then the
/// file declaring each service, then every import not yet received, round after round, until no
/// file is missing. Each round is one `ServerReflectionInfo` stream carrying all of its questions.
/// `grpc.reflection.v1` is asked first; a backend answering `UNIMPLEMENTED` is asked
/// `grpc.reflection.v1alpha`.
struct ReflectionClient {
    /// The backend's cluster.
    let cluster: Cluster
    /// The backend's name, for messages.
    let backend: String
    /// The deadline of each round.
    var timeout: TimeAmount = .seconds(10)

    /// Files more than this many imports away from a service are refused (a cycle, or a server
    /// that never stops naming new files).
    static let maxRounds = 64
    /// At most this many files per schema.
    static let maxFiles = 10_000

    /// The method path of each version.
    static func path(version: String) -> String {
        "/grpc.reflection.\(version).ServerReflection/ServerReflectionInfo"
    }

    /// Asks the backend for its services and every file they need.
    /// - Throws: ``ReflectionError``.
    func fetch() async throws(ReflectionError) -> ReflectedSchema {
        var version = "v1"
        var listed: [ReflectionMessages.Answer]
        do {
            listed = try await ask([.listServices], version: version)
        } catch  where error.code == .unimplemented {
            version = "v1alpha"
            listed = try await ask([.listServices], version: version)
        }
        guard case .services(let all) = listed.first else {
            throw ReflectionError(.badAnswer, "backend \(backend): list_services was not answered with services")
        }
        let services = Set(all.filter { !ReflectedSchema.isInfrastructure($0) }).sorted()
        var files: [String: [UInt8]] = [:]
        var wanted: Set<String> = []
        var questions = services.map { ReflectionMessages.Question.fileContainingSymbol($0) }
        var round = 0
        while !questions.isEmpty {
            round += 1
            guard round <= Self.maxRounds else {
                throw ReflectionError(
                    .badAnswer,
                    "backend \(backend): imports nest deeper than \(Self.maxRounds) files"
                )
            }
            let answers = try await ask(questions, version: version)
            for (question, answer) in zip(questions, answers) {
                guard case .files(let received) = answer, !received.isEmpty else {
                    throw ReflectionError(
                        .badAnswer,
                        "backend \(backend): \(Self.describe(question)): \(Self.describe(answer))"
                    )
                }
                for bytes in received {
                    let file: Google_Protobuf_FileDescriptorProto
                    do {
                        file = try Google_Protobuf_FileDescriptorProto(serializedBytes: bytes)
                    } catch {
                        throw ReflectionError(
                            .badAnswer,
                            "backend \(backend): a file of \(Self.describe(question)) is not a FileDescriptorProto"
                        )
                    }
                    files[file.name] = bytes
                    wanted.formUnion(file.dependency)
                }
            }
            guard files.count <= Self.maxFiles else {
                throw ReflectionError(.badAnswer, "backend \(backend): more than \(Self.maxFiles) files")
            }
            questions = wanted.subtracting(files.keys).sorted().map { .fileByName($0) }
        }
        return ReflectedSchema(services: services, files: files, version: version)
    }

    /// One stream: every question, then the end of the request stream; one answer per question.
    private func ask(
        _ questions: [ReflectionMessages.Question],
        version: String
    ) async throws(ReflectionError) -> [ReflectionMessages.Answer] {
        let cluster = self.cluster
        let path = Self.path(version: version)
        let timeout = self.timeout
        let backend = self.backend
        let loop = cluster.eventLoops[0]
        let answers: [ReflectionMessages.Answer]
        do {
            answers = try await loop.flatSubmit { () -> EventLoopFuture<[ReflectionMessages.Answer]> in
                let promise = loop.makePromise(of: [ReflectionMessages.Answer].self)
                let call: UpstreamCall
                do {
                    call = try cluster.onLoop(0).makeCall(path: path, metadata: [], timeout: timeout)
                } catch {
                    return loop.makeFailedFuture(ReflectionError(.callFailed, "backend \(backend): \(error)"))
                }
                call.start(delegate: ReflectionExchange(backend: backend, promise: promise))
                for question in questions { call.send(message: question.serialized) }
                call.finish()
                return promise.futureResult
            }.get()
        } catch let error as ReflectionError {
            throw error
        } catch {
            throw ReflectionError(.callFailed, "backend \(backend): \(error)")
        }
        guard answers.count == questions.count else {
            throw ReflectionError(
                .badAnswer,
                "backend \(backend): \(answers.count) reflection answers to \(questions.count) questions"
            )
        }
        return answers
    }

    private static func describe(_ question: ReflectionMessages.Question) -> String {
        switch question {
        case .listServices: "list_services"
        case .fileByName(let name): "file \(name)"
        case .fileContainingSymbol(let symbol): "the file of \(symbol)"
        }
    }

    private static func describe(_ answer: ReflectionMessages.Answer) -> String {
        switch answer {
        case .error(let code, let message): "\(GRPCStatus.Code(rawValue: code)): \(message)"
        case .files: "no file"
        case .services: "a service list instead of files"
        case .other: "not a file answer"
        }
    }
}

/// One reflection stream's answers, collected until the call ends.
private final class ReflectionExchange: UpstreamCallDelegate {
    private let backend: String
    private let promise: EventLoopPromise<[ReflectionMessages.Answer]>
    private var answers: [ReflectionMessages.Answer] = []
    private var malformed = false

    init(backend: String, promise: EventLoopPromise<[ReflectionMessages.Answer]>) {
        self.backend = backend
        self.promise = promise
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {}

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        do {
            answers.append(try ReflectionMessages.answer(message))
        } catch {
            malformed = true
        }
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    {
        if status.code == .unimplemented {
            promise.fail(ReflectionError(.unimplemented, "backend \(backend) does not serve reflection: \(status)"))
        } else if status.code != .ok {
            promise.fail(ReflectionError(.callFailed, "backend \(backend): reflection call failed: \(status)"))
        } else if malformed {
            promise.fail(
                ReflectionError(.badAnswer, "backend \(backend): a reflection answer is not a protobuf message")
            )
        } else {
            promise.succeed(answers)
        }
    }
}
