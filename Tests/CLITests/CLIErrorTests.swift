import Foundation
import S2IGANTensor
import Testing
import S2IGANFormats

/// The outcome of one run of the `s2igan` executable.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The non-empty lines written to stderr.
    var errorLines: [String] { stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty } }
}

/// The `s2igan` executable of this build: `swift build --build-tests` (and `swift test`) put it in the build
/// folder beside the test bundle (on Linux the bundle is an executable in that folder; on macOS it is a
/// `.xctest` bundle in it, so the search goes up a few folders).
func cliExecutable() throws -> URL {
    let start = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    var folder = start.deletingLastPathComponent()
    for _ in 0..<5 {
        let candidate = folder.appendingPathComponent("s2igan")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    throw TensorError.file(path: start.path, reason: "no s2igan executable beside the test bundle; build it with swift build --build-tests")
}

/// Runs `s2igan arguments…` and collects its exit status and both streams.
func runCLI(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    try runProcess(cliExecutable(), arguments, environment: environment)
}

/// Runs `executable arguments…` and collects its exit status and both streams.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes are read to the end before waiting (stderr on another thread), so a full pipe cannot block the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errors = Box()
    let done = DispatchSemaphore(value: 0)
    let reader = err.fileHandleForReading
    DispatchQueue.global().async {
        errors.data = reader.readDataToEndOfFile()
        done.signal()
    }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                     stderr: String(decoding: errors.data, as: UTF8.self))
}

/// A fresh folder under the temporary directory, removed by the caller.
func scratchFolder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-cli-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Checks the failure contract of the CLI: exit code 1 and exactly one line on stderr, which names `path` and
/// holds `words`, and no dump of Foundation's or Swift's internals.
func expectOneLineFailure(_ result: CLIResult, naming path: String, _ words: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 1, "exit status; stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.errorLines.count == 1, "stderr must be one line: \(result.stderr)", sourceLocation: sourceLocation)
    let line = result.errorLines.first ?? ""
    #expect(line.hasPrefix("s2igan: "), "\(line)", sourceLocation: sourceLocation)
    #expect(line.contains(path), "\(line) must name \(path)", sourceLocation: sourceLocation)
    for word in words { #expect(line.contains(word), "\(line) must say '\(word)'", sourceLocation: sourceLocation) }
    for leak in ["Error Domain", "NSCocoaErrorDomain", "UserInfo", "DecodingError", "keyNotFound", "typeMismatch", "CodingKeys", "NPY.", "TensorError"] {
        #expect(!line.contains(leak), "\(line) must not show '\(leak)'", sourceLocation: sourceLocation)
    }
}

@Suite(.serialized) struct CLIErrorTests {
    @Test func helpExitsWithZero() throws {
        let result = try runCLI(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: s2igan <subcommand>") && result.stdout.contains("convert"))
        let sub = try runCLI(["dataset", "splits", "--help"])
        #expect(sub.status == 0 && sub.stdout.contains("--force"))
    }

    /// A usage error found by the parser and one thrown by a subcommand's run() both show that subcommand's
    /// usage, not the root's, and exit with ArgumentParser's usage code (64).
    @Test func usageErrorsShowTheSubcommandsUsage() throws {
        let parsed = try runCLI(["convert"])
        #expect(parsed.status == 64, "\(parsed.stderr)")
        #expect(parsed.stderr.contains("Usage: s2igan convert"), "\(parsed.stderr)")

        let root = try scratchFolder("usage")
        defer { try? FileManager.default.removeItem(at: root) }
        let thrown = try runCLI(["dataset", "splits", "--dataset", "nonsense", "--root", root.path])
        #expect(thrown.status == 64, "\(thrown.stderr)")
        #expect(thrown.stderr.contains("unknown --dataset 'nonsense'"), "\(thrown.stderr)")
        #expect(thrown.stderr.contains("Usage: s2igan dataset splits --dataset <dataset>"), "\(thrown.stderr)")
        #expect(thrown.stderr.contains("See 's2igan dataset splits --help'"), "\(thrown.stderr)")
        #expect(!thrown.stderr.contains("s2igan <subcommand>"), "\(thrown.stderr)")

        let convert = try runCLI(["convert", root.appendingPathComponent("a.txt").path, root.appendingPathComponent("b.npy").path])
        #expect(convert.status == 64 && convert.stderr.contains("Usage: s2igan convert <input> <output>"), "\(convert.stderr)")
    }

    @Test func aMissingInputFileIsNamed() throws {
        let root = try scratchFolder("missing")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("absent.npy")
        let result = try runCLI(["convert", input.path, root.appendingPathComponent("out.safetensors").path])
        expectOneLineFailure(result, naming: input.path, ["no such file"])
    }

    /// The output's folder is a regular file: the error names the output and the file in the way.
    @Test func anOutputUnderARegularFileIsNamed() throws {
        let root = try scratchFolder("blocked")
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("in.npy")
        try NPY.write(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), to: input)
        let blocker = root.appendingPathComponent("plain-file")
        try Data("not a folder".utf8).write(to: blocker)
        let output = blocker.appendingPathComponent("out.safetensors")
        let result = try runCLI(["convert", input.path, output.path])
        expectOneLineFailure(result, naming: output.path, ["'\(blocker.path)' is a file, not a folder"])
        #expect(try Data(contentsOf: blocker) == Data("not a folder".utf8))

        // The same for a folder that a command creates (gan generate's, sen train's output folders).
        let splits = try runCLI(["dataset", "splits", "--dataset", "places", "--root", blocker.appendingPathComponent("data").path])
        expectOneLineFailure(splits, naming: blocker.appendingPathComponent("data").path)
    }

    /// A read-only output folder. Permission checks do not apply to root (the tests run as root in CI), so
    /// there the case cannot be set up and is skipped; the "file in the way" case above covers the same path.
    @Test(.enabled(if: getuid() != 0, "root ignores folder permissions")) func aReadOnlyOutputFolderIsNamed() throws {
        let root = try scratchFolder("readonly")
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("locked").path)
            try? FileManager.default.removeItem(at: root)
        }
        let input = root.appendingPathComponent("in.npy")
        try NPY.write(try Tensor(shape: [2], scalars: [1, 2]), to: input)
        let locked = root.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o555])
        let output = locked.appendingPathComponent("out.safetensors")
        let result = try runCLI(["convert", input.path, output.path])
        expectOneLineFailure(result, naming: output.path, ["permission denied"])
    }

    @Test func corruptInputFilesAreNamed() throws {
        let root = try scratchFolder("corrupt")
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = root.appendingPathComponent("whole.npy")
        try NPY.write(try Tensor(shape: [4, 8], scalars: (0..<32).map(Float.init)), to: whole)
        let truncated = root.appendingPathComponent("truncated.npy")
        try Data(try Data(contentsOf: whole).prefix(90)).write(to: truncated)
        expectOneLineFailure(try runCLI(["convert", truncated.path, root.appendingPathComponent("a.safetensors").path]), naming: truncated.path)

        let garbage = root.appendingPathComponent("garbage.pickle")
        try Data("this is not a pickle\n\u{0}\u{1}\u{2}".utf8).write(to: garbage)
        expectOneLineFailure(try runCLI(["convert", garbage.path, root.appendingPathComponent("b.safetensors").path]), naming: garbage.path)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("b.safetensors").path))
    }

    /// `eval fid` names an empty folder (generated or real) before it needs the network's weights.
    @Test func evalFIDNamesAnEmptyFolder() throws {
        let root = try scratchFolder("fid")
        defer { try? FileManager.default.removeItem(at: root) }
        let empty = root.appendingPathComponent("generated"), real = root.appendingPathComponent("real")
        for folder in [empty, real] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let weights = root.appendingPathComponent("weights.pth").path
        expectOneLineFailure(try runCLI(["eval", "fid", "--images", empty.path, "--real", real.path, "--weights", weights]),
                             naming: real.path, ["no .jpg, .jpeg or .png images"])
        try Data([0x89]).write(to: real.appendingPathComponent("a.png"))
        expectOneLineFailure(try runCLI(["eval", "fid", "--images", empty.path, "--real", real.path, "--weights", weights]),
                             naming: empty.path, ["no .jpg, .jpeg or .png images"])
    }

    /// Configuration files: a wrong value names the file and the key; malformed YAML is still one line.
    @Test func configurationErrorsNameTheFileAndKey() throws {
        let root = try scratchFolder("config")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("sen.yml")
        try Data("epochs: many\n".utf8).write(to: config)
        let arguments = ["sen", "train", "--dataset", "cub", "--root", root.path, "--output", root.appendingPathComponent("run").path, "--config", config.path]
        expectOneLineFailure(try runCLI(arguments), naming: config.path, ["epochs"])
        try Data("epochs: [1,\n  batch_size: {\n".utf8).write(to: config)
        expectOneLineFailure(try runCLI(arguments), naming: config.path, ["not valid YAML"])
    }

    /// `dataset splits` keeps an existing split file without --force.
    @Test func datasetSplitsKeepsExistingFiles() throws {
        let root = try scratchFolder("splits")
        defer { try? FileManager.default.removeItem(at: root) }
        let keys = root.appendingPathComponent("train/filenames.pickle")
        try FileManager.default.createDirectory(at: keys.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("authors".utf8).write(to: keys)
        expectOneLineFailure(try runCLI(["dataset", "splits", "--dataset", "places", "--root", root.path]), naming: keys.path, ["--force"])
        #expect(try Data(contentsOf: keys) == Data("authors".utf8))
    }
}

/// A resource budget variable that is set but is not a positive integer is an error, not silently the default.
@Suite struct BudgetEnvironmentTests {
    @Test func anUnreadableBudgetVariableIsOneErrorLine() throws {
        let bad = try runCLI(["--help"], environment: ["S2IGAN_MAX_IMAGE_PIXELS": "lots"])
        #expect(bad.status == 1)
        #expect(bad.errorLines == ["s2igan: S2IGAN_MAX_IMAGE_PIXELS='lots' is not a positive integer"])
        let good = try runCLI(["--help"], environment: ["S2IGAN_MAX_IMAGE_PIXELS": "1000"])
        #expect(good.status == 0)
    }
}
