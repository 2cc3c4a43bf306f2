// What the shipped files cite lives in the repository: no citation of design
// notes or catalog files kept elsewhere, and every docs/ page named exists.
import Foundation
import Testing

@Suite struct DocumentationLinksTests {
    /// The shipped tree's text files (sources, plugins, configuration, packaging, docs, tests, build files).
    static func shippedFiles() throws -> [String] {
        let roots = ["Sources", "plugins", "etc", "packaging", "docs", "Tests", "Benchmarks", ".ci"]
        let extensions: Set<String> = ["swift", "c", "h", "md", "toml", "sh", "service", "conf", "txt", "py", ""]
        var files = ["README.md", "Makefile", "Package.swift"].map { "\(Harness.repo)/\($0)" }
        for root in roots {
            guard let walker = FileManager.default.enumerator(atPath: "\(Harness.repo)/\(root)") else { continue }
            while let path = walker.nextObject() as? String {
                if path.split(separator: "/").contains(where: { $0.hasPrefix(".build") }) { walker.skipDescendants(); continue }
                let full = "\(Harness.repo)/\(root)/\(path)"
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                      extensions.contains((path as NSString).pathExtension) else { continue }
                files.append(full)
            }
        }
        return files
    }

    @Test func nothingCitesDocumentsOutsideTheRepository() throws {
        // Spelled in pieces, so that this file does not match itself.
        let outside = ["DESIGN" + " §", "DESIGN" + ".md", "shared" + "/seed", "000_84e48c26" + "ae1a2f65"]
        var found: [String] = []
        for file in try Self.shippedFiles() {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where outside.contains(where: { line.contains($0) }) {
                found.append("\(file.dropFirst(Harness.repo.count + 1)):\(n + 1): \(line)")
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test func everyDocsPageNamedExists() throws {
        let pattern = try NSRegularExpression(pattern: #"docs/([A-Za-z0-9._-]+\.(md|sh))"#)
        var missing: Set<String> = []
        var named: Set<String> = []
        for file in try Self.shippedFiles() {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let page = String(text[range])
                named.insert(page)
                if !FileManager.default.fileExists(atPath: "\(Harness.repo)/docs/\(page)") { missing.insert(page) }
            }
        }
        #expect(missing.isEmpty, "named but missing: \(missing.sorted())")
        #expect(named.isSuperset(of: ["broker-traps.md", "plugin-loading.md", "catalog-mapping.md", "event-catalog.md"]), "\(named.sorted())")
    }
}
