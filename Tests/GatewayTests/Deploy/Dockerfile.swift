import Foundation

/// `deploy/docker/Dockerfile` read as instructions: continuation lines joined, comments dropped,
/// grouped by stage, with the `ARG` defaults it declares.
struct Dockerfile {
    /// One instruction: `FROM`, `RUN`, … and the rest of its (joined) line.
    struct Instruction {
        /// The instruction, upper case.
        var keyword: String
        /// Everything after the keyword.
        var arguments: String
    }

    /// One `FROM` and what follows it up to the next.
    struct Stage {
        /// The stage's name (`AS name`), or its image when unnamed.
        var name: String
        /// The image it starts from, as written (`debian:${DEBIAN_SUITE}-slim`).
        var base: String
        /// Its instructions after `FROM`.
        var instructions: [Instruction]

        /// The arguments of every instruction `keyword` in the stage.
        func arguments(of keyword: String) -> [String] {
            instructions.filter { $0.keyword == keyword }.map(\.arguments)
        }
    }

    /// The file's path below the repository's root.
    static let path = "deploy/docker/Dockerfile"

    /// The stages in order; the last one is what `docker build` builds without `--target`.
    let stages: [Stage]
    /// Every `ARG NAME=default` in the file.
    let argumentDefaults: [String: String]

    /// Reads and parses the repository's Dockerfile.
    init() throws {
        let text = try DeployFile.text(Self.path)
        var instructions: [Instruction] = []
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let joined = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            guard !joined.isEmpty else { continue }
            let keyword = joined.prefix { !$0.isWhitespace }
            instructions.append(
                Instruction(
                    keyword: keyword.uppercased(),
                    arguments: joined.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
                )
            )
        }
        var stages: [Stage] = []
        var defaults: [String: String] = [:]
        for instruction in instructions {
            if instruction.keyword == "ARG", let equals = instruction.arguments.firstIndex(of: "=") {
                defaults[String(instruction.arguments[..<equals])] = String(
                    instruction.arguments[instruction.arguments.index(after: equals)...]
                )
            }
            if instruction.keyword == "FROM" {
                let words = instruction.arguments.split(separator: " ").map(String.init)
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : words[0]
                stages.append(Stage(name: name, base: words[0], instructions: []))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append(instruction)
            }
        }
        self.stages = stages
        self.argumentDefaults = defaults
    }

    /// The stage named `name`.
    func stage(_ name: String) -> Stage? {
        stages.first { $0.name == name }
    }

    /// `text` with every `${NAME}` replaced by the ARG's default.
    func expanded(_ text: String) -> String {
        argumentDefaults.reduce(text) { $0.replacingOccurrences(of: "${\($1.key)}", with: $1.value) }
    }

    /// The packages a stage's `apt-get install` lines install, without their versions.
    func installedPackages(in stage: String) -> [String] {
        let runs = self.stage(stage)?.arguments(of: "RUN") ?? []
        return runs.filter { $0.contains("apt-get install") }.flatMap { run in
            run.split(separator: " ").compactMap { word -> String? in
                let unquoted = word.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                guard let equals = unquoted.firstIndex(of: "="), !unquoted.hasPrefix("-"),
                    unquoted.first?.isLowercase == true || unquoted.first?.isNumber == true
                else { return nil }
                return String(unquoted[..<equals])
            }
        }
    }
}
