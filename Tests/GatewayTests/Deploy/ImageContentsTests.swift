import Foundation
import Testing

/// What the images hold, built as the Dockerfile builds it (`make test` runs
/// scripts/build-image-binaries.sh into .build-static/image): every library the binaries link
/// comes from a package the runtime stage installs, and the images stay within the size budget
/// deploy/README.md states.
@Suite("Image contents")
struct ImageContentsTests {
    static let image = "\(repositoryRoot)/.build-static/image"
    static let executables = [
        "usr/local/bin/portico", "usr/local/bin/demo-backend", "usr/local/libexec/swift-backtrace-static",
    ]
    /// `docker images` size of debian:bookworm-slim (linux/amd64), the runtime stage's base.
    static let baseImageBytes = 75_000_000

    /// `ldd` names each shared library; `dpkg -S` says which Debian package ships it; the
    /// runtime stage must install that package (libc6 is in every Debian image). A new link
    /// dependency the Dockerfile does not install fails here, not in production.
    @Test(arguments: executables)
    func everyLinkedLibraryComesFromARuntimePackage(executable: String) async throws {
        let path = try Self.built(executable)
        let runtime = Set(try Dockerfile().installedPackages(in: "runtime")).union(["libc6"])
        let ldd = try await runTool("/usr/bin/ldd", [path])
        #expect(ldd.status == 0, "\(ldd.stderr)")
        let libraries = Self.libraryPaths(ldd: ldd.text)
        #expect(libraries.contains { $0.hasSuffix("/libc.so.6") }, "\(ldd.text)")
        for library in libraries {
            let package = try await Self.debianPackage(shipping: library)
            #expect(
                package.map(runtime.contains) == true,
                "\(executable) links \(library) from \(package ?? "no Debian package"), which the runtime stage does not install"
            )
        }
        #expect(!ldd.text.contains("libswift"), "the Swift runtime is linked in (--static-swift-stdlib)")
        #expect(!ldd.text.contains("libFoundation"), "Foundation is linked in (--static-swift-stdlib)")
    }

    /// The Portico image: the base, the runtime packages with everything they pull in (libc6
    /// and Priority: required packages, in every image, aside), portico, the backtracer and the
    /// default configuration. An upper bound: packages the slim base already has count again.
    @Test func theImagesStayWithinTheirSizeBudgets() async throws {
        let readme = try DeployFile.text("deploy/README.md")
        let budgets = try #require(try Self.budgets(readme: readme), "deploy/README.md states no size budget")
        let packages = try await Self.installedBytes(of: try Dockerfile().installedPackages(in: "runtime"))
        let backtracer = try Self.size(Self.built("usr/local/libexec/swift-backtrace-static"))
        let portico = try Self.size(Self.built("usr/local/bin/portico"))
        let demoBackend = try Self.size(Self.built("usr/local/bin/demo-backend"))
        let configuration =
            try Self.size("\(repositoryRoot)/deploy/docker/Gateway.yaml")
            + Self.size("\(repositoryRoot)/Protos/demo.binpb")
        let porticoImage = Self.baseImageBytes + packages + backtracer + portico + configuration
        let demoImage = Self.baseImageBytes + packages + backtracer + demoBackend
        print(
            "image sizes (upper bounds): portico \(porticoImage / 1_000_000) MB (binary \(portico / 1_000_000) MB, packages \(packages / 1_000_000) MB), demo-backend \(demoImage / 1_000_000) MB"
        )
        #expect(porticoImage <= budgets.portico * 1_000_000, "portico image ≈ \(porticoImage / 1_000_000) MB")
        #expect(demoImage <= budgets.demoBackend * 1_000_000, "demo-backend image ≈ \(demoImage / 1_000_000) MB")
    }

    /// The path of an executable in the built image, or a failure saying how to build it.
    static func built(_ executable: String) throws -> String {
        let path = "\(image)/\(executable)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing: `make image-binaries` builds it (make test does)")
        }
        return path
    }

    static func size(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// The absolute paths `ldd` resolved (`name => /path (…)`, and the loader's `/path (…)`).
    static func libraryPaths(ldd: String) -> [String] {
        ldd.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: \.isWhitespace)
            if let arrow = words.firstIndex(of: "=>"), arrow + 1 < words.count { return String(words[arrow + 1]) }
            return words.first.flatMap { $0.hasPrefix("/") ? String($0) : nil }
        }
    }

    /// The Debian package that ships `library` (merged /usr: tried as given and with `/usr`
    /// added or removed, then with symlinks resolved).
    static func debianPackage(shipping library: String) async throws -> String? {
        let resolved = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
        var candidates = [library, resolved]
        for path in [library, resolved] {
            candidates.append(path.hasPrefix("/usr/") ? String(path.dropFirst(4)) : "/usr" + path)
        }
        for candidate in candidates {
            let result = try await runTool("/usr/bin/dpkg", ["-S", candidate])
            if result.status == 0, let package = result.text.split(separator: ":").first {
                return String(package)
            }
        }
        return nil
    }

    /// The installed size of `packages` and everything they depend on, except libc6 and
    /// Priority: required packages (part of every Debian image).
    static func installedBytes(of packages: [String]) async throws -> Int {
        var queue = packages
        var seen: Set<String> = ["libc6"]
        var kibibytes = 0
        while let package = queue.popLast() {
            guard seen.insert(package).inserted else { continue }
            let query = try await runTool(
                "/usr/bin/dpkg-query",
                ["-W", "-f=${Priority}\t${Installed-Size}\t${Depends}, ${Pre-Depends}", package]
            )
            let fields = query.text.split(separator: "\t", omittingEmptySubsequences: false)
            guard query.status == 0, fields.count == 3 else {
                throw TestFailure("\(package) is not installed here, so its size is unknown: \(query.stderr)")
            }
            if fields[0] == "required" { continue }
            kibibytes += Int(fields[1]) ?? 0
            for dependency in fields[2].split(separator: ",") {
                // The first alternative, without version or architecture.
                let name = dependency.split(separator: "|").first?.split(separator: " ").first?.split(separator: ":")
                    .first
                if let name, !name.isEmpty { queue.append(String(name)) }
            }
        }
        return kibibytes * 1024
    }

    /// The budgets deploy/README.md states: `portico` image ≤ N MB, `demo-backend` image ≤ M MB.
    static func budgets(readme: String) throws -> (portico: Int, demoBackend: Int)? {
        func budget(_ image: String) -> Int? {
            guard let range = readme.range(of: "`\(image)` image: at most ") else { return nil }
            return Int(readme[range.upperBound...].prefix { $0.isNumber })
        }
        guard let portico = budget("portico"), let demo = budget("demo-backend") else { return nil }
        return (portico, demo)
    }
}
