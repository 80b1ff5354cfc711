public import GRPCCore
import SwiftProtobuf

/// `demo.user.v1.UserService`: the tutorial's unary lookup over a fixed table of users.
public struct DemoUserService: Demo_User_V1_UserService.SimpleServiceProtocol {
    /// The users this service knows, by id.
    public let users: [Int32: String]

    /// Creates the service.
    /// - Parameter users: The known users; defaults to Ada Lovelace (1), Alan Turing (2) and
    ///   Grace Hopper (3).
    public init(users: [Int32: String] = [1: "Ada Lovelace", 2: "Alan Turing", 3: "Grace Hopper"]) {
        self.users = users
    }

    /// Returns the user with the requested id.
    /// - Throws: `RPCError` `NOT_FOUND` ("user <id> not found") for unknown ids.
    public func getUser(
        request: Demo_User_V1_UserRequest,
        context: ServerContext
    ) async throws -> Demo_User_V1_UserResponse {
        guard let name = self.users[request.id] else {
            throw RPCError(code: .notFound, message: "user \(request.id) not found")
        }
        return .with {
            $0.id = request.id
            $0.name = name
        }
    }
}
