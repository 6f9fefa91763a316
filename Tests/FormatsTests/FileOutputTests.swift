import Foundation
import TestSupport
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

/// Atomic writes, folder creation and stale temporary files: failures name the path and what is in the way.
@Suite struct FileOutputTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("file-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func atomicWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("a.bin")
        try writeFileAtomically(Data([1, 2, 3]), to: target)
        try writeFileAtomically(Data([4, 5]), to: target)
        #expect(try Data(contentsOf: target) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.bin"])
        let temporary = temporaryFileName(for: "a.bin")
        #expect(temporary.hasPrefix(".a.bin.tmp-\(getpid())-") && temporary.count == ".a.bin.tmp-\(getpid())-".count + 8)
        #expect(temporaryFileName(for: "a.bin") != temporary, "a fresh name per write")
    }

    /// Writers of one file on several threads never share a temporary: the file ends as one whole write.
    @Test func concurrentWritersOfOneFileDoNotMix() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("shared.bin")
        let payloads = (0..<8).map { Data(repeating: UInt8($0), count: 200_000 + $0) }
        DispatchQueue.concurrentPerform(iterations: 32) { i in try? writeFileAtomically(payloads[i % 8], to: target) }
        #expect(payloads.contains(try Data(contentsOf: target)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["shared.bin"])
    }

    @Test func writeFailuresNameTheTargetAndTheObstacle() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let blocker = folder.appendingPathComponent("plain")
        try Data("x".utf8).write(to: blocker)
        let under = blocker.appendingPathComponent("deeper/out.npy")
        #expect { try writeFileAtomically(Data(), to: under) } throws: {
            "\($0)" == "'\(under.path)': cannot be written: '\(blocker.path)' is a file, not a folder"
        }
        let missing = folder.appendingPathComponent("absent/out.npy")
        #expect { try writeFileAtomically(Data(), to: missing) } throws: {
            "\($0)".contains(missing.path) && "\($0)".contains("the folder '\(folder.appendingPathComponent("absent").path)' does not exist")
        }
        #expect { try writeFileAtomically(Data(), to: folder) } throws: { "\($0)" == "'\(folder.path)': cannot be written: it is a folder" }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["plain"])
    }

    @Test func createFolderNamesTheFileInTheWay() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let nested = folder.appendingPathComponent("a/b/c")
        try createFolder(nested)
        try createFolder(nested)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        let file = folder.appendingPathComponent("a/file")
        try Data().write(to: file)
        #expect { try createFolder(file) } throws: { "\($0)" == "'\(file.path)': cannot be created as a folder: a file of that name exists" }
        let below = file.appendingPathComponent("x/y")
        #expect { try createFolder(below) } throws: { "\($0)".contains(below.path) && "\($0)".contains("'\(file.path)' is a file, not a folder") }
    }

    @Test func appendLineAddsLines() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("log.txt")
        try appendLine("one", to: log)
        try appendLine("two", to: log)
        #expect(try String(contentsOf: log, encoding: .utf8) == "one\ntwo\n")
        #expect { try appendLine("x", to: folder.appendingPathComponent("no/log.txt")) } throws: { "\($0)".contains("no/log.txt") && "\($0)".contains("does not exist") }
    }

    /// What a killed process leaves — our temporary of another process id, Foundation's `.dat.nosync…` — is
    /// removed; this process's own temporaries, real files and look-alikes are not.
    @Test func staleTemporariesAreRecognisedAndRemoved() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
        let stale = [".checkpoint.safetensors.tmp-999999999", ".dat.nosync1a2b.XyZ123", ".log.txt.tmp-999999998-0a1b2c3d", "models/.netG_3.safetensors.tmp-12"]
        let kept = ["checkpoint.safetensors", temporaryFileName(for: "log.txt"), "notes.tmp-12", ".hidden", ".x.tmp-12a", ".y.tmp-12-xyz",
                    "models/netG_3.safetensors"]
        for name in stale + kept { try Data("x".utf8).write(to: folder.appendingPathComponent(name)) }
        #expect(try removeStaleTemporaryFiles(in: folder) == [".checkpoint.safetensors.tmp-999999999", ".dat.nosync1a2b.XyZ123", ".log.txt.tmp-999999998-0a1b2c3d"])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(stale[3]).path), "sub-folders only when asked")
        #expect(try removeStaleTemporaryFiles(in: folder, includingSubfolders: true) == [stale[3]])
        for name in kept { #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)") }
        #expect(try removeStaleTemporaryFiles(in: folder.appendingPathComponent("absent")) == [])
    }
}

/// One readable line for Foundation's, the decoders' and the system's errors.
@Suite struct ErrorDescriptionTests {
    struct Config: Decodable {
        var epochs: Int
        var inner: Inner
        struct Inner: Decodable { var rates: [Double] }
    }

    @Test func decodingErrorsNameTheKeyNotTheType() throws {
        func message(_ json: String) -> String {
            do {
                _ = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
                return "decoded"
            } catch { return readableDescription(of: error) }
        }
        #expect(message(#"{"inner": {"rates": []}}"#) == "key 'epochs' is missing")
        #expect(message(#"{"epochs": 1, "inner": {}}"#) == "key 'inner.rates' is missing")
        #expect(message(#"{"epochs": "many", "inner": {"rates": []}}"#) == "'epochs': expected an integer, found a string")
        #expect(message(#"{"epochs": 1, "inner": {"rates": [1, "x"]}}"#).hasPrefix("'inner.rates[1]': expected a number"))
        let url = URL(fileURLWithPath: "/data/run/config.json")
        #expect { try decodeFile("config", url) { try JSONDecoder().decode(Config.self, from: Data("{}".utf8)) } } throws: {
            "\($0)" == "'/data/run/config.json': config: key 'epochs' is missing"
        }
    }

    @Test func foundationFileErrorsBecomePathAndReason() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/file.txt")
        do {
            _ = try String(contentsOf: missing, encoding: .utf8)
            Issue.record("read a missing file")
        } catch {
            #expect(readableDescription(of: error) == "'\(missing.path)': no such file or folder")
        }
        let written = CocoaError(.fileWriteVolumeReadOnly, userInfo: [NSFilePathErrorKey: "/ro/out.npy"])
        #expect(readableDescription(of: written) == "'/ro/out.npy': read-only file system")
        let exists = CocoaError(.fileWriteFileExists, userInfo: [NSURLErrorKey: URL(fileURLWithPath: "/a/b")])
        #expect(readableDescription(of: exists) == "'/a/b': it already exists")
        let full = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
                           userInfo: [NSFilePathErrorKey: "/a/c", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(readableDescription(of: full) == "'/a/c': no space left on the device")
        #expect(readableDescription(of: POSIXError(.ENOTDIR)) == "a part of the path is a file, not a folder")
    }

    @Test func projectErrorsKeepTheirTextOnOneLine() {
        #expect(readableDescription(of: FormatError.file(path: "x.npy", reason: "truncated")) == "'x.npy': truncated")
        struct Several: Error, CustomStringConvertible { var description: String { "first line\n  second line\n" } }
        #expect(readableDescription(of: Several()) == "first line; second line")
        enum Plain: Error { case broken }
        #expect(readableDescription(of: Plain.broken) == "broken", "not Foundation's 'The operation could not be completed'")
    }
}

/// A failed command leaves no output folder it created, unless the folder holds work to resume.
@Suite struct OutputCleanupTests {
    struct Failure: Error {}

    @Test func aFailedCallRemovesTheFolderItCreated() throws {
        let parent = temporaryRoot("cleanup")
        defer { try? FileManager.default.removeItem(at: parent) }
        let fresh = parent.appendingPathComponent("run")
        #expect(throws: Failure.self) {
            try removingOutputOnFailure(fresh, keepingIfItHolds: "checkpoint.safetensors") {
                try createFolder(fresh.appendingPathComponent("cache"))
                try writeFileAtomically(Data("a: 1\n".utf8), to: fresh.appendingPathComponent("config.yml"))
                throw Failure()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: fresh.path))
        // With a checkpoint written before the failure, the run is kept to be resumed.
        #expect(throws: Failure.self) {
            try removingOutputOnFailure(fresh, keepingIfItHolds: "checkpoint.safetensors") {
                try createFolder(fresh)
                try writeFileAtomically(Data([1]), to: fresh.appendingPathComponent("checkpoint.safetensors"))
                throw Failure()
            }
        }
        #expect(FileManager.default.fileExists(atPath: fresh.appendingPathComponent("checkpoint.safetensors").path))
        // A folder that existed before the call is never removed.
        let existing = parent.appendingPathComponent("existing")
        try createFolder(existing)
        #expect(throws: Failure.self) { try removingOutputOnFailure(existing) { throw Failure() } }
        #expect(FileManager.default.fileExists(atPath: existing.path))
        // Success keeps everything.
        #expect(try removingOutputOnFailure(parent.appendingPathComponent("ok")) { try createFolder(parent.appendingPathComponent("ok")); return 3 } == 3)
        #expect(FileManager.default.fileExists(atPath: parent.appendingPathComponent("ok").path))
    }
}
