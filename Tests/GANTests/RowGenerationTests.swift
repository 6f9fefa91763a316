import Foundation
import S2IGANDatasets
import S2IGANFormats
import S2IGANGAN
import S2IGANNN
import S2IGANTensor
import S2IGANVision
import TestSupport
import Testing

/// `gan generate --embeddings FILE.npy`: one image per row, reproducible from the seed or the given noise.
@Suite struct RowGenerationTests {
    static func generator() throws -> Generator {
        let g = try Initialization.seeded(3) { try Generator(HostileSizesTests.small) }
        g.eval()
        return g
    }

    @Test func rowsAreWrittenPerStageAndReproducible() throws {
        let g = try Self.generator()
        var rng = RandomGenerator(seed: 3)
        let e = try Tensor.normal([3, 16], using: &rng)
        let first = temporaryRoot("rows-a"), second = temporaryRoot("rows-b")
        defer { for f in [first, second] { try? FileManager.default.removeItem(at: f) } }
        #expect(try RDGGeneration.generateRows(generator: g, embeddings: e, folder: first, seed: 7, stages: .all) == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: first.path).sorted()
                == ["0_128.png", "0_64.png", "1_128.png", "1_64.png", "2_128.png", "2_64.png"])
        try RDGGeneration.generateRows(generator: g, embeddings: e, folder: second, seed: 7)
        #expect(try FileManager.default.contentsOfDirectory(atPath: second.path).sorted() == ["0_128.png", "1_128.png", "2_128.png"])
        #expect(try RGBImage.read(first.appendingPathComponent("2_128.png")).pixels == RGBImage.read(second.appendingPathComponent("2_128.png")).pixels)
        // Given noise is the seed's noise: the same images.
        var noiseRNG = RandomGenerator(seed: 7)
        let z = try Tensor.normal([3, HostileSizesTests.small.noiseSize], using: &noiseRNG)
        let third = temporaryRoot("rows-c")
        defer { try? FileManager.default.removeItem(at: third) }
        try RDGGeneration.generateRows(generator: g, embeddings: e, noise: z, folder: third, seed: 7)
        #expect(try RGBImage.read(third.appendingPathComponent("0_128.png")).pixels == RGBImage.read(second.appendingPathComponent("0_128.png")).pixels)
    }

    /// Bad embeddings name the file and the generator, and leave no output folder behind.
    @Test func badEmbeddingFilesAreNamedAndLeaveNothing() throws {
        let folder = temporaryRoot("rows-files")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let generatorFile = folder.appendingPathComponent("netG_4.safetensors")
        try Self.generator().save(to: generatorFile, metadata: [:])
        let embeddings = folder.appendingPathComponent("e.npy")
        try NPY.write(try Tensor(shape: [2, 16], scalars: [.nan] + Array(repeating: 0.1, count: 31)), to: embeddings)
        let output = folder.appendingPathComponent("out")
        let error = try #require(throws: GANError.self) {
            try RDGGeneration.generateRows(generatorFile: generatorFile, embeddingsFile: embeddings, folder: output)
        }
        #expect("\(error)".contains(embeddings.path) && "\(error)".contains("netG_4.safetensors") && "\(error)".contains("NaN"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        try NPY.write(try Tensor(shape: [2, 16], scalars: Array(repeating: 0.1, count: 32)), to: embeddings)
        #expect(try RDGGeneration.generateRows(generatorFile: generatorFile, embeddingsFile: embeddings, folder: output, deterministic: true) == 2)
    }

    /// A split from a generator file: the reference's names, and on bad embeddings an error naming where they came
    /// from and the generator, with nothing left behind.
    @Test func splitsFromAGeneratorFileNameTheirSources() throws {
        let folder = temporaryRoot("split-files")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let generatorFile = folder.appendingPathComponent("netG_7.safetensors")
        try Self.generator().save(to: generatorFile, metadata: [:])
        var rng = RandomGenerator(seed: 5)
        let embeddings = try (0..<3).map { _ in try Tensor.normal([2, 16], using: &rng) }
        let source = folder.appendingPathComponent("speech_embeddings_test.safetensors")
        let output = folder.appendingPathComponent("epoch7")
        let count = try RDGGeneration.generateSplit(generatorFile: generatorFile, keys: ["a/1", "a/2", "b/3"], embeddings: embeddings,
                                                    embeddingsSource: source, folder: output, batchSize: 2, deterministic: true)
        #expect(count == 4 && FileManager.default.fileExists(atPath: output.appendingPathComponent("a/2_128_sentence1.png").path))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("b/3_128_sentence0.png").path), "the last incomplete batch is dropped")
        var bad = embeddings
        bad[1].withUnsafeMutableBufferPointer { $0[0] = .infinity }
        let failed = folder.appendingPathComponent("failed")
        let error = try #require(throws: GANError.self) {
            try RDGGeneration.generateSplit(generatorFile: generatorFile, keys: ["a/1", "a/2", "b/3"], embeddings: bad, embeddingsSource: source,
                                            folder: failed, batchSize: 2)
        }
        #expect("\(error)".contains(source.path) && "\(error)".contains("netG_7.safetensors"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: failed.path))
    }

    @Test func generatorsAreAFileOrAFolderAndTheirOutputFolders() throws {
        let folder = temporaryRoot("rows-generators")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["netG_2.safetensors", "netG_10.safetensors"] { try Data().write(to: folder.appendingPathComponent(name)) }
        let file = folder.appendingPathComponent("netG_2.safetensors")
        #expect(try RDGGeneration.generators(at: file).map(\.epoch) == [nil])
        #expect(try RDGGeneration.generators(at: folder, epochs: 1...5).map(\.epoch) == [2])
        #expect(try RDGGeneration.generators(at: folder).map(\.epoch) == [2, 10])
        #expect { try RDGGeneration.generators(at: folder.appendingPathComponent("absent")) } throws: { "\($0)".contains("no such file or folder") }
        #expect(RDGGeneration.outputFolder(folder, epoch: 10).lastPathComponent == "epoch10")
        #expect(RDGGeneration.outputFolder(folder, epoch: nil) == folder)
        #expect(RDGGeneration.fileName(key: "c/k", size: 64, caption: 2) == GeneratedImageName.fileName(key: "c/k", size: 64, caption: 2))
        #expect(GeneratedImageName.fileName(key: "c/k", size: 64, caption: 2) == "c/k_64_sentence2.png")
    }
}
