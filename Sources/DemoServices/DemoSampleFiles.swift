import Foundation

/// The files a fresh demo files directory starts with, so the README's download examples work.
public enum DemoSampleFiles {
    /// Creates `directory` if needed and writes `hello.txt` and `sample.bin` (3000 bytes of a
    /// repeating 0...255 pattern) unless files of those names already exist.
    /// - Parameter directory: The files directory.
    /// - Throws: The file system error when the directory or a file cannot be created.
    public static func install(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let samples: [(String, Data)] = [
            ("hello.txt", Data("Hello from the Portico demo backend!\n".utf8)),
            ("sample.bin", Data((0..<3000).map { UInt8(truncatingIfNeeded: $0) })),
        ]
        for (name, content) in samples {
            let path = DemoFileNames.path(of: name, in: directory)
            if !FileManager.default.fileExists(atPath: path) {
                try content.write(to: URL(fileURLWithPath: path))
            }
        }
    }
}
