import Foundation

/// README.md at the repository root, split into its fenced code blocks.
struct ReadmeDocument: Sendable {
    /// One fenced code block (` ```lang ` ... ` ``` `).
    struct CodeBlock: Sendable {
        /// The info string after the opening fence (`console`, `yaml`, ...).
        var language: String
        /// The text of the nearest `#`/`##`/`###` heading above the block, without the `#`s.
        var heading: String
        /// The 1-based README line number of the block's first content line.
        var firstLine: Int
        /// The block's lines, without the fences.
        var lines: [String]
    }

    /// Every fenced code block, in README order.
    let blocks: [CodeBlock]

    /// The README of this repository.
    static let repository = ReadmeDocument(path: repositoryRoot + "/README.md")

    /// Reads `path`; a missing file gives a document without blocks (which the tests report).
    init(path: String) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        self.init(text: text)
    }

    /// Splits `text` into its fenced code blocks.
    init(text: String) {
        var blocks: [CodeBlock] = []
        var heading = ""
        var open: CodeBlock?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(line)
            if var block = open {
                if line.hasPrefix("```") {
                    blocks.append(block)
                    open = nil
                } else {
                    block.lines.append(line)
                    open = block
                }
            } else if line.hasPrefix("```") {
                let language = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                open = CodeBlock(language: language, heading: heading, firstLine: index + 2, lines: [])
            } else if line.hasPrefix("#") {
                heading = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            }
        }
        self.blocks = blocks
    }

    /// The blocks of one language.
    func blocks(_ language: String) -> [CodeBlock] {
        blocks.filter { $0.language == language }
    }
}
