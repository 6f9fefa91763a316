// Holds the package to its layering (Docs/architecture.md): run `swift scripts/check-imports.swift` from the
// repository root (`.ci/run` does). Reads the allowed graph from scripts/allowed-imports.txt and the declared
// dependencies from `swift package dump-package`, then fails, naming file and module, when
//   - a file in a source target imports a module of its own level or above (an arrow pointing up or sideways),
//   - a file of any target (tests included) imports a module its target does not declare,
//   - a source target declares a dependency that none of its files imports,
//   - a target is missing from the levels file.
// Modules of the system (Foundation, Glibc, …) and the test frameworks are always allowed.
import Foundation

let systemModules: Set<String> = ["Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Darwin", "Musl",
                                  "Dispatch", "Android", "WinSDK", "Testing", "XCTest", "Synchronization", "_Concurrency"]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("check-imports: \(message)\n".utf8))
    exit(2)
}

// The levels: "N: A B C" lines; '#' starts a comment.
guard let levelsText = try? String(contentsOfFile: "scripts/allowed-imports.txt", encoding: .utf8) else {
    fail("cannot read scripts/allowed-imports.txt (run from the repository root)")
}
var level: [String: Int] = [:]
for (number, rawLine) in levelsText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
    let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
    if line.isEmpty { continue }
    let parts = line.split(separator: ":", maxSplits: 1)
    guard parts.count == 2, let value = Int(parts[0].trimmingCharacters(in: .whitespaces)) else {
        fail("scripts/allowed-imports.txt line \(number + 1): expected 'level: modules'")
    }
    for module in parts[1].split(separator: " ") {
        if let earlier = level[String(module)] { fail("scripts/allowed-imports.txt: '\(module)' is on levels \(earlier) and \(value)") }
        level[String(module)] = value
    }
}

// The package as SwiftPM reads it.
let process = Process()
process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
process.arguments = ["swift", "package", "dump-package"]
let pipe = Pipe()
process.standardOutput = pipe
do { try process.run() } catch { fail("cannot run `swift package dump-package`: \(error)") }
let dump = pipe.fileHandleForReading.readDataToEndOfFile()
process.waitUntilExit()
guard process.terminationStatus == 0,
      let package = try? JSONSerialization.jsonObject(with: dump) as? [String: Any],
      let targets = package["targets"] as? [[String: Any]] else {
    fail("`swift package dump-package` failed")
}

/// The module names a dependency entry of dump-package names: byName, target or product.
func dependencyName(_ entry: [String: Any]) -> String? {
    for key in ["byName", "target", "product"] {
        if let list = entry[key] as? [Any], let name = list.first as? String { return name }
    }
    return nil
}

/// `import X`, `@testable import X`, `import struct X.Y`, `public import X` … at the start of a line.
func imports(in file: String) -> [(module: String, line: Int)] {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { fail("cannot read \(file)") }
    var found: [(String, Int)] = []
    for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var words = rawLine.split(separator: " ").map(String.init)
        while let first = words.first, first.hasPrefix("@") || ["public", "internal", "package", "private", "fileprivate"].contains(first) {
            words.removeFirst()
        }
        guard words.first == "import", words.count >= 2 else { continue }
        var path = words[1]
        if ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(path), words.count >= 3 { path = words[2] }
        found.append((String(path.split(separator: ".")[0]), number + 1))
    }
    return found
}

func swiftFiles(under folder: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
    return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.map { folder + "/" + $0 }.sorted()
}

var problems: [String] = []
for target in targets {
    guard let name = target["name"] as? String, let type = target["type"] as? String else { continue }
    if type == "system" || type == "plugin" || type == "macro" { continue }
    let isTest = type == "test"
    let folder = (target["path"] as? String) ?? (isTest ? "Tests/\(name)" : "Sources/\(name)")
    let declared = Set(((target["dependencies"] as? [[String: Any]]) ?? []).compactMap(dependencyName))
    var used: Set<String> = []
    for file in swiftFiles(under: folder) {
        for (module, line) in imports(in: file) where !systemModules.contains(module) {
            used.insert(module)
            if !declared.contains(module) {
                problems.append("\(file):\(line): imports \(module), which target \(name) does not declare in Package.swift")
            }
        }
    }
    if isTest || !folder.hasPrefix("Sources/") { continue }
    guard let own = level[name] else { problems.append("target \(name) has no level in scripts/allowed-imports.txt"); continue }
    for dependency in declared.sorted() {
        guard let theirs = level[dependency] else {
            problems.append("\(name) depends on \(dependency), which has no level in scripts/allowed-imports.txt"); continue
        }
        if theirs >= own {
            problems.append("\(name) (level \(own)) depends on \(dependency) (level \(theirs)): an arrow may only point down")
        }
        // C targets are checked by level only: their headers are not Swift imports.
        if !used.contains(dependency) && !swiftFiles(under: folder).isEmpty {
            problems.append("\(name) declares \(dependency) in Package.swift but no file of it imports it")
        }
    }
}

if problems.isEmpty {
    print("check-imports: \(targets.count) targets hold to scripts/allowed-imports.txt")
} else {
    for problem in problems { FileHandle.standardError.write(Data((problem + "\n").utf8)) }
    fail("\(problems.count) problem\(problems.count == 1 ? "" : "s")")
}
