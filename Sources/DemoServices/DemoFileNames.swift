import GRPCCore

/// File-name rules shared by the download and upload services: a name is one path component
/// inside the files directory, never a path.
enum DemoFileNames {
    /// Checks that `name` is a plain file name.
    /// - Parameter name: The requested file name.
    /// - Throws: `RPCError` `INVALID_ARGUMENT` when `name` is empty, `.`, or contains `/`, `..`
    ///   or NUL.
    static func validate(_ name: String) throws {
        if name.isEmpty || name == "." || name.contains("/") || name.contains("..") || name.contains("\0") {
            throw RPCError(code: .invalidArgument, message: "invalid file name \"\(name)\"")
        }
    }

    /// The path of `name` inside `directory`.
    static func path(of name: String, in directory: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
