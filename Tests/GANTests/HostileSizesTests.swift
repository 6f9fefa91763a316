import Foundation
import TestSupport
import Testing
import S2IGANDatasets
import S2IGANAutograd
@testable import S2IGANGAN
import S2IGANNN
import S2IGANTensor
import S2IGANTraining

/// A generator file or a configuration that lies about sizes is refused before anything is built.
@Suite struct HostileSizesTests {
    static let small = RDGArchitecture(stages: 2, generatorWidth: 8, discriminatorWidth: 4, noiseSize: 6, conditionSize: 4, speechEmbeddingSize: 16)

    @Test func metadataThatDisagreesWithTheWeightsIsRefused() throws {
        let folder = temporaryRoot("hostile-gan")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let generator = try Generator(Self.small)
        for (width, name) in [(8, "netG_1.safetensors"), (1024, "netG_2.safetensors"), (100_000_000, "netG_3.safetensors")] {
            var stated = Self.small
            stated.generatorWidth = width
            let url = folder.appendingPathComponent(name)
            try generator.save(to: url, metadata: ["architecture": String(decoding: try JSONEncoder().encode(stated), as: UTF8.self)])
            if width == 8 {
                #expect(try Generator.load(from: url).architecture == Self.small)
            } else {
                let refusal = try #require(throws: GANError.self) { try Generator.load(from: url) }
                let message = "\(refusal)"
                #expect(message.contains(name) && message.contains("generator_width \(width) (weights: 8)"), "\(message)")
            }
        }
    }

    @Test func configurationSizesHaveBounds() throws {
        var huge = Self.small
        huge.generatorWidth = 100_000_000
        let sizeError = try #require(throws: GANError.self) { try Generator(huge) }
        #expect("\(sizeError)".contains("generator_width must be between 1 and 256"), "\(sizeError)")
        huge = Self.small
        huge.residualBlocks = -1
        #expect(throws: GANError.self) { try Generator(huge) }
        let base = RDGTrainingConfiguration.defaults(for: .spokenFlowers)
        let error = try #require(throws: TrainingError.self) {
            try RDGTrainingConfiguration.load(yaml: "architecture:\n  generator_width: 100000000\n", base: base, source: "g.yml")
        }
        #expect("\(error)".contains("g.yml") && "\(error)".contains("generator_width must be between 1 and 256, got 100000000"), "\(error)")
    }
}

/// Embeddings with NaN, or so large that the generator overflows, are errors instead of black images.
@Suite struct NonFiniteGenerationTests {
    @Test func nonFiniteEmbeddingsAndImagesAreErrors() throws {
        // Seeded: layers drawn from the shared generator would depend on which tests ran before.
        let g = try Initialization.seeded(11) { try Generator(HostileSizesTests.small) }
        g.eval()
        var rng = RandomGenerator(seed: 4)
        let e = try Tensor.normal([3, 16], using: &rng), z = try Tensor.normal([3, 6], using: &rng)
        let epsilon = try Tensor.normal([3, 4], using: &rng)
        #expect(try RDGGeneration.images(generator: g, embeddings: e, noise: z, epsilon: epsilon).allSatisfy(\.isFinite))
        var nan = e
        nan.withUnsafeMutableBufferPointer { $0[20] = .nan }
        let error = try #require(throws: GANError.self) { try RDGGeneration.images(generator: g, embeddings: nan, noise: z, epsilon: nil) }
        #expect("\(error)".contains("embeddings row(s) 1 hold NaN or infinite values"), "\(error)")
        // ×10³⁰: the conditioning's log-variance overflows exp, and the sampled condition is infinite, whatever the
        // images downstream make of it (they may saturate to finite ±1).
        let scaled = e * 1e30
        let condition = try GradientMode.withoutGradient {
            try g(noise: Variable(z), embedding: Variable(scaled), epsilon: epsilon).condition.value
        }
        let infinite = condition.nonFiniteRows
        #expect(!infinite.isEmpty, "seed 11 was chosen so that the condition overflows: \(condition)")
        let huge = try #require(throws: GANError.self) { try RDGGeneration.images(generator: g, embeddings: scaled, noise: z, epsilon: epsilon) }
        #expect("\(huge)".contains("the sampled conditions of row(s) \(infinite.map(String.init).joined(separator: ", ")) are not finite"), "\(huge)")
        #expect("\(huge)".contains(" (embedding norm 3.55e+30; "), "\(huge)")
        // A finite condition with a weight that is not a number: the images are checked too, stage by stage.
        let broken = try #require(g.namedParameters().first { $0.0.hasPrefix("img_net2.") }?.1)
        broken.value = try Tensor.full(broken.shape, value: .nan)
        let images = try #require(throws: GANError.self) { try RDGGeneration.images(generator: g, embeddings: e, noise: z, epsilon: epsilon) }
        #expect("\(images)".contains("the 128 px images of row(s) 0, 1, 2 are not finite"), "\(images)")
    }
}
