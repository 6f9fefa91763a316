import Foundation
import TestSupport
import Testing
@testable import S2IGANSEN
import S2IGANDatasets
import S2IGANNN
import S2IGANTensor
import S2IGANTraining
import S2IGANFormats

/// Sizes read from files and configurations are checked before anything is built: a lie is an error naming the
/// file and the size, never an allocation of what the lie asks for.
@Suite struct HostileSizesTests {
    static let small: SpeechEncoderConfiguration = {
        var c = SpeechEncoderConfiguration()
        (c.melBands, c.convolutionChannels, c.hiddenSize, c.attentionHidden) = (8, [6, 10], 7, 5)
        return c
    }()

    /// A speech encoder file whose metadata claims hidden_size 10⁹ (it used to abort allocating 1.6 TB).
    @Test func metadataThatDisagreesWithTheWeightsIsRefused() throws {
        let folder = temporaryRoot("hostile-sen")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = try SpeechEncoder(Self.small)
        let good = folder.appendingPathComponent("good.safetensors"), lying = folder.appendingPathComponent("lying.safetensors")
        let json = String(decoding: try JSONEncoder().encode(Self.small), as: UTF8.self)
        try encoder.save(to: good, metadata: ["speech_encoder": json])
        #expect(try SpeechEncoder.load(from: good).configuration == Self.small)
        try encoder.save(to: lying, metadata: ["speech_encoder": json.replacingOccurrences(of: "\"hidden_size\":7", with: "\"hidden_size\":1000000000")])
        let refusal = try #require(throws: SENError.self) { try SpeechEncoder.load(from: lying) }
        let message = "\(refusal)"
        #expect(message.contains("lying.safetensors"))
        #expect(message.contains("hidden_size 1000000000 (weights: 7)"))
    }

    @Test func configurationSizesHaveBounds() throws {
        var huge = Self.small
        huge.hiddenSize = 100_000_000
        let sizeError = try #require(throws: SENError.self) { try SpeechEncoder(huge) }
        #expect("\(sizeError)".contains("hidden_size must be between 1 and 4096"), "\(sizeError)")
        huge = Self.small
        huge.convolutionChannels = [6]
        #expect(throws: SENError.self) { try SpeechEncoder(huge) }
        let base = SENTrainingConfiguration.defaults(for: .spokenFlowers)
        for (yaml, expected) in [("speech_encoder:\n  hidden_size: 100000000\n", "hidden_size must be between 1 and 4096, got 100000000"),
                                 ("image_views: 1000000\n", "image_views must be between 0 and 64, got 1000000"),
                                 ("batch_size: 9223372036854775807\n", "batch_size must be at most 65536")] {
            let error = try #require(throws: TrainingError.self) { try SENTrainingConfiguration.load(yaml: yaml, base: base, source: "big.yml") }
            #expect("\(error)".contains(expected), "\(error)")
            #expect("\(error)".contains("big.yml"), "\(error)")
        }
    }

    /// The parameter count formula is exact (it is what a size budget would be computed from).
    @Test func parameterCountMatchesABuiltEncoder() throws {
        for c in [Self.small, SpeechEncoderConfiguration()] {
            let built = try SpeechEncoder(c).namedParameters().reduce(0) { $0 + $1.1.value.count }
            #expect(c.parameterCount == built)
        }
    }
}

/// Non-finite values in, or out: errors naming the file, never an all-NaN embedding with exit 0.
@Suite struct NonFiniteInputTests {
    @Test func nanWeightsAndNaNFeaturesAreRefused() throws {
        let folder = temporaryRoot("nan-sen")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = try SpeechEncoder(HostileSizesTests.small)
        var weight = encoder.conv1.weight.value
        weight.withUnsafeMutableBufferPointer { $0[3] = .nan }
        encoder.conv1.weight.value = weight
        let url = folder.appendingPathComponent("nan.safetensors")
        try encoder.save(to: url)
        let error = try #require(throws: (any Error).self) { try SpeechEncoder.load(from: url) }
        #expect("\(error)".contains("nan.safetensors") && "\(error)".contains("NaN or infinite values in 'Conv1.weight'"), "\(error)")

        let good = try SpeechEncoder(HostileSizesTests.small)
        good.eval()
        var features = try Tensor.ones([40, 8])
        let mel = folder.appendingPathComponent("caption.npy")
        try NPY.write(features, to: mel)
        #expect(try SpeechEmbeddings.embed(encoder: good, featureFiles: [mel]).isFinite)
        features.withUnsafeMutableBufferPointer { $0[17] = .nan }
        try NPY.write(features, to: mel)
        let nan = try #require(throws: DatasetError.self) { try SpeechEmbeddings.embed(encoder: good, featureFiles: [mel]) }
        #expect("\(nan)".contains("caption.npy") && "\(nan)".contains("NaN or infinite"), "\(nan)")
    }
}
