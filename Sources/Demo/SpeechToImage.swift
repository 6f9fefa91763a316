import S2IGANAudio
import Foundation
import S2IGANGAN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision

/// Speech in, image out with a trained model: a recording (or text spoken by espeak-ng) goes through the
/// reference's log-mel features and the SEN's speech encoder, and the RDG's generator draws it.
public final class SpeechToImage: @unchecked Sendable {
    public let encoder: SpeechEncoder
    public let generator: Generator
    /// Where they were loaded from.
    public let encoderSource: URL
    public let generatorSource: URL

    public init(encoder: SpeechEncoder, generator: Generator, encoderSource: URL, generatorSource: URL) throws {
        guard encoder.configuration.embeddingSize == generator.architecture.speechEmbeddingSize else {
            throw DemoError.invalidConfiguration("the speech encoder (\(encoderSource.path)) embeds to \(encoder.configuration.embeddingSize) dimensions, "
                                              + "the generator (\(generatorSource.path)) expects \(generator.architecture.speechEmbeddingSize)")
        }
        (self.encoder, self.generator, self.encoderSource, self.generatorSource) = (encoder, generator, encoderSource, generatorSource)
    }

    /// Loads from a folder: a demo output (`sen/` and `gan/models/`), or a folder holding a SEN run's `models/`
    /// and `netG_<N>` files. `sen` and `generator` name them explicitly instead (a run folder or file each);
    /// the generator is the `netG_<N>` with the largest N.
    public convenience init(model folder: URL?, sen: URL? = nil, generator: URL? = nil) throws {
        let fm = FileManager.default
        func exists(_ url: URL) -> Bool { fm.fileExists(atPath: url.path) }
        if let folder, !exists(folder) { throw DemoError.file(path: folder.path, reason: "model: no such folder") }
        let missing = DemoError.invalidConfiguration("give --model (a demo output folder) or both --sen and --generator")
        guard let senURL = sen ?? folder.map({ f in [f.appendingPathComponent("sen"), f].first { exists($0.appendingPathComponent("models")) } ?? f }) else {
            throw missing
        }
        guard var generatorURL = generator ?? folder.map({ f in
            [f.appendingPathComponent("gan/models"), f.appendingPathComponent("models"), f].first { (try? DemoPipeline.latestGenerator(in: $0)) != nil }
                ?? f.appendingPathComponent("gan/models")
        }) else { throw missing }
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: generatorURL.path, isDirectory: &isFolder), isFolder.boolValue {
            generatorURL = try DemoPipeline.latestGenerator(in: generatorURL)
        }
        let encoder = try SpeechEncoder.load(from: senURL)
        try self.init(encoder: encoder, generator: try Generator.load(from: generatorURL), encoderSource: senURL, generatorSource: generatorURL)
    }

    /// The images of every stage (64, 128, 256 px for three stages) for a recording. `seed` draws the noise z
    /// (and the conditioning noise unless `deterministic`, which uses μ).
    public func images(wav: URL, seed: UInt64 = 100, deterministic: Bool = true) throws -> [RGBImage] {
        try images(embedding: try SpeechEmbeddings.embed(encoder: encoder, recordings: [wav]), seed: seed, deterministic: deterministic)
    }

    /// The images of every stage for a speech embedding `[1, D]` (``images(wav:seed:deterministic:)`` after the
    /// speech encoder).
    public func images(embedding: Tensor, seed: UInt64 = 100, deterministic: Bool = true) throws -> [RGBImage] {
        var rng = RandomGenerator(seed: seed)
        let a = generator.architecture
        let noise = try Tensor.normal([1, a.noiseSize], using: &rng)
        let epsilon = deterministic ? nil : try Tensor.normal([1, a.conditionSize], using: &rng)
        return try RDGGeneration.images(generator: generator, embeddings: embedding, noise: noise, epsilon: epsilon).map {
            try $0.images(range: .signed, quantization: .truncate)[0]
        }
    }

    /// Speaks `text` with espeak-ng into `wav` (kept, so it can be played) and draws it.
    public func images(text: String, wav: URL, voice: VoiceSettings = VoiceSettings(), seed: UInt64 = 100,
                       deterministic: Bool = true) throws -> [RGBImage] {
        let synthesizer = SpeechSynthesizer(engine: .espeakNG)
        _ = try synthesizer.check()
        try synthesizer.speak(text, settings: voice, to: wav)
        return try images(wav: wav, seed: seed, deterministic: deterministic)
    }
}
