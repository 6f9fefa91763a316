import Foundation
import FuzzTargets
import Testing

/// Replays the fuzzing seed corpus and every input that once crashed a decoder (`Tests/Fuzz/corpus/<target>/`,
/// `Tests/Fuzz/regressions/<target>/`) through its target: each must return or throw. A crash that comes back
/// takes the test process down, which fails `make test`.
struct FuzzCorpusTests {
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// The files under `kind/<target>/`, by target name.
    static func inputs(_ kind: String) -> [(target: String, file: URL)] {
        let folder = fuzzFolder.appendingPathComponent(kind), fm = FileManager.default
        let targets = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return targets.flatMap { target in
            (((try? fm.contentsOfDirectory(atPath: folder.appendingPathComponent(target).path)) ?? []).filter { !$0.hasPrefix(".") }.sorted())
                .map { (target, folder.appendingPathComponent(target).appendingPathComponent($0)) }
        }
    }

    @Test func everyTargetHasASeedCorpusAndEveryFolderATarget() {
        let corpus = Self.inputs("corpus"), regressions = Self.inputs("regressions")
        for target in FuzzTargets.all {
            #expect(corpus.filter { $0.target == target.name }.count >= 2, "corpus of \(target.name)")
        }
        for (name, file) in corpus + regressions {
            #expect(FuzzTargets.named(name) != nil, "\(file.path) is in a folder named after no target")
        }
    }

    @Test(arguments: ["corpus", "regressions"])
    func everyInputReturnsOrThrows(_ kind: String) throws {
        var accepted = 0, refused = 0
        for (name, file) in Self.inputs(kind) {
            let target = try #require(FuzzTargets.named(name))
            let bytes = try [UInt8](Data(contentsOf: file))
            do { try target.run(bytes); accepted += 1 } catch { refused += 1 }
        }
        if kind == "corpus" {
            // The seeds are valid files: most decode (a few configuration seeds are deliberately refused).
            #expect(accepted > refused, "\(accepted) accepted, \(refused) refused")
        }
    }

    @Test func seedsOfEachDecoderAreAcceptedAndGarbageIsRefused() throws {
        for name in ["pickle", "npy", "npz", "safetensors", "pth", "wav", "png", "jpeg"] {
            let target = try #require(FuzzTargets.named(name))
            let seeds = Self.inputs("corpus").filter { $0.target == name && $0.file.lastPathComponent.hasPrefix("valid") }
            #expect(!seeds.isEmpty, "no valid-* seed for \(name)")
            for (_, file) in seeds {
                #expect(throws: Never.self, "\(file.lastPathComponent)") { try target.run(try [UInt8](Data(contentsOf: file))) }
            }
            #expect(throws: (any Error).self, "\(name) of garbage") { try target.run(Array("not a \(name) file".utf8)) }
        }
    }
}
