import Foundation
public import GRPCCore
import SwiftProtobuf

/// gRPC server reflection for the demo backend, `grpc.reflection.v1.ServerReflection`: answers
/// from a ``DemoReflectionCatalog``. Each file is sent alone, without the files it imports, so a
/// client must ask for those itself (the protocol allows both; Portico's reflection client has to
/// follow imports either way). ``V1Alpha`` answers the same questions under
/// `grpc.reflection.v1alpha`, the version older clients ask.
public struct DemoReflectionService: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
    /// What the service describes.
    public let catalog: DemoReflectionCatalog

    /// Creates the service.
    public init(catalog: DemoReflectionCatalog) {
        self.catalog = catalog
    }

    /// Answers every request in turn, until the client ends the stream.
    public func serverReflectionInfo(
        request: RPCAsyncSequence<Grpc_Reflection_V1_ServerReflectionRequest, any Error>,
        response: RPCWriter<Grpc_Reflection_V1_ServerReflectionResponse>,
        context: ServerContext
    ) async throws {
        for try await question in request {
            try await response.write(answer(question))
        }
    }

    /// The answer to one request.
    func answer(_ question: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var answer = Grpc_Reflection_V1_ServerReflectionResponse()
        answer.validHost = question.host
        answer.originalRequest = question
        func files(_ file: Data?, notFound: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse
        {
            guard let file else {
                return .errorResponse(
                    .with {
                        $0.errorCode = 5
                        $0.errorMessage = notFound
                    }
                )
            }
            return .fileDescriptorResponse(.with { $0.fileDescriptorProto = [file] })
        }
        switch question.messageRequest {
        case .fileByFilename(let name):
            answer.messageResponse = files(catalog.file(named: name), notFound: "file not found: \(name)")
        case .fileContainingSymbol(let symbol):
            answer.messageResponse = files(catalog.file(declaring: symbol), notFound: "symbol not found: \(symbol)")
        case .fileContainingExtension(let request):
            answer.messageResponse = files(
                catalog.file(extending: request.containingType, number: request.extensionNumber),
                notFound: "extension not found: \(request.containingType) \(request.extensionNumber)"
            )
        case .allExtensionNumbersOfType(let type):
            if let numbers = catalog.extensionNumbers(of: type) {
                answer.messageResponse = .allExtensionNumbersResponse(
                    .with {
                        $0.baseTypeName = type
                        $0.extensionNumber = numbers
                    }
                )
            } else {
                answer.messageResponse = .errorResponse(
                    .with {
                        $0.errorCode = 5
                        $0.errorMessage = "type not found: \(type)"
                    }
                )
            }
        case .listServices:
            answer.messageResponse = .listServicesResponse(
                .with { $0.service = catalog.services.map { name in .with { $0.name = name } } }
            )
        case nil:
            answer.messageResponse = .errorResponse(
                .with {
                    $0.errorCode = 3
                    $0.errorMessage = "empty request"
                }
            )
        }
        return answer
    }

    /// The same service under `grpc.reflection.v1alpha`: its messages are v1's on the wire, so
    /// each request is read as v1's and answered by the v1 service.
    public struct V1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
        /// The v1 service that answers.
        public let v1: DemoReflectionService

        /// Creates the service.
        public init(catalog: DemoReflectionCatalog) {
            self.v1 = DemoReflectionService(catalog: catalog)
        }

        /// Answers every request in turn, until the client ends the stream.
        public func serverReflectionInfo(
            request: RPCAsyncSequence<Grpc_Reflection_V1alpha_ServerReflectionRequest, any Error>,
            response: RPCWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>,
            context: ServerContext
        ) async throws {
            for try await question in request {
                let asked = try Grpc_Reflection_V1_ServerReflectionRequest(
                    serializedBytes: question.serializedBytes() as [UInt8]
                )
                let answer: [UInt8] = try v1.answer(asked).serializedBytes()
                try await response.write(Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: answer))
            }
        }
    }
}
