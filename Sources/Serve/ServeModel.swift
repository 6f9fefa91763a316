import Foundation
import S2IGANAudio
import S2IGANDatasets
import S2IGANDemo
import S2IGANFormats
import S2IGANSEN
import S2IGANTensor
import S2IGANVision

/// The trained model a server holds, loaded once: the speech encoder and generator of `s2igan say`, and, when the
/// model folder has them, the training captions' embeddings and texts for retrieval (the captions nearest to what
/// was heard, through the SEN). Calls are not concurrent: the server's ``JobQueue`` runs one at a time.
public final class ServeModel: @unchecked Sendable {
    public let pipeline: SpeechToImage
    public let index: CaptionIndex?
    public let folder: URL
    let extractor = AudioFeatureExtractor()

    /// What is loaded, for `GET /v1/model`.
    public struct Description: Codable, Sendable, Equatable {
        public var encoder: String
        public var generator: String
        public var stages: Int
        public var imageSizes: [Int]
        public var embeddingSize: Int
        public var indexedCaptions: Int

        enum CodingKeys: String, CodingKey {
            case encoder, generator, stages, imageSizes = "image_sizes", embeddingSize = "embedding_size", indexedCaptions = "indexed_captions"
        }
    }

    /// One answer: the images of every stage, the log-mel spectrogram of what was heard as a picture, its
    /// embedding, the nearest training captions and the time of each step.
    public struct Generation: Sendable {
        public var images: [RGBImage]
        public var spectrogram: RGBImage
        public var embedding: [Float]
        public var neighbours: [CaptionIndex.Match]
        public var seconds: [(String, Double)]
    }

    /// The model of a demo output folder (`sen/`, `gan/models/`, and `data/` for the caption index), or a folder
    /// laid out the same way.
    public init(model folder: URL) throws {
        self.folder = folder
        pipeline = try SpeechToImage(model: folder)
        index = try CaptionIndex(model: folder, embeddingSize: pipeline.encoder.configuration.embeddingSize)
    }

    public var description: Description {
        Description(encoder: pipeline.encoderSource.lastPathComponent, generator: pipeline.generatorSource.lastPathComponent,
                    stages: pipeline.generator.architecture.stages, imageSizes: pipeline.generator.architecture.imageSizes,
                    embeddingSize: pipeline.encoder.configuration.embeddingSize, indexedCaptions: index?.texts.count ?? 0)
    }

    /// Checks a recording before the model sees it: readable, not empty, not longer than `maxSeconds`.
    public func check(recording wav: URL, maxSeconds: Double) throws {
        let signal: AudioSignal
        do { signal = try AudioSignal.read(wav) } catch {
            // The reason without the server's own file name.
            let reason = "\(error)".replacingOccurrences(of: "'\(wav.path)': ", with: "").replacingOccurrences(of: wav.path, with: "the upload")
            throw ServeError.refused(status: 400, message: "the upload is not audio this server reads (WAV, FLAC or Ogg): \(reason)")
        }
        guard !signal.samples.isEmpty else { throw ServeError.refused(status: 400, message: "the recording is empty") }
        guard signal.duration <= maxSeconds else {
            throw ServeError.refused(status: 413, message: String(format: "the recording lasts %.1f s; the limit is %.0f s", signal.duration, maxSeconds))
        }
    }

    /// The speech embedding `[D]` of a recording.
    public func embed(recording wav: URL) throws -> [Float] {
        try pipeline.encoder.embed([extractor.features(of: wav)]).scalars
    }

    /// Images of every stage for a recording, with noise from `seed`.
    public func generate(recording wav: URL, seed: UInt64, neighbours: Int = 5) throws -> Generation {
        let clock = ContinuousClock()
        var mark = clock.now
        var seconds: [(String, Double)] = []
        func lap(_ name: String) {
            let now = clock.now, d = mark.duration(to: now)
            seconds.append((name, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
            mark = now
        }
        let features = try extractor.features(of: wav)
        lap("features")
        let embedding = try pipeline.encoder.embed([features])
        lap("embedding")
        let images = try pipeline.images(embedding: embedding, seed: seed)
        lap("generation")
        let matches = try index?.nearest(embedding.scalars, count: neighbours) ?? []
        let picture = try Self.spectrogram(features)
        lap("retrieval")
        return Generation(images: images, spectrogram: picture, embedding: embedding.scalars, neighbours: matches, seconds: seconds)
    }

    /// A log-mel matrix `[T, bands]` as a picture: time to the right, low bands at the bottom, 3 px per band, each
    /// value min–max scaled over the matrix onto a dark-blue → yellow ramp.
    static func spectrogram(_ features: Tensor) throws -> RGBImage {
        let (frames, bands) = (features.shape[0], features.shape[1])
        let values = features.scalars
        let low = values.min() ?? 0, high = values.max() ?? 1
        let span = high > low ? high - low : 1
        let scale = 3, width = max(frames, 1), height = bands * scale
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for t in 0..<frames {
            for b in 0..<bands {
                let v = (values[t * bands + b] - low) / span
                let colour = (UInt8(255 * min(1, 2 * v)), UInt8(255 * v), UInt8(255 * max(0, 0.6 - v)))
                for k in 0..<scale {
                    let y = height - 1 - (b * scale + k)
                    let p = (y * width + t) * 3
                    (pixels[p], pixels[p + 1], pixels[p + 2]) = colour
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// The training captions' speech embeddings with their texts, for the captions nearest to a query (cosine
/// similarity; the SEN's embeddings have unit length).
public struct CaptionIndex: Sendable {
    public struct Match: Codable, Sendable, Equatable {
        public var text: String
        public var key: String
        public var similarity: Float
    }

    /// The captions' embeddings, `[captions, width]`.
    public let embeddings: Tensor
    public let texts: [String]
    public let keys: [String]
    public let width: Int

    /// The index of a demo output folder: `sen/speech_embeddings_train.safetensors` (with its image keys) and the
    /// caption texts of `data/Oxford102/text_c10/`; `nil` if the folder has either missing.
    init?(model folder: URL, embeddingSize: Int) throws {
        let sen = folder.appendingPathComponent("sen")
        let texts = folder.appendingPathComponent("data/Oxford102/text_c10")
        let file = sen.appendingPathComponent("speech_embeddings_train.safetensors")
        guard FileManager.default.fileExists(atPath: file.path), FileManager.default.fileExists(atPath: texts.path) else { return nil }
        let matrices = try SpeechEmbeddings.read(split: "train", in: sen)
        guard let text = try SafeTensorsFile.read(file).metadata["keys"],
              let json = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), json.count == matrices.count else { return nil }
        var byKey: [String: [String]] = [:]
        for caption in try CaptionSpeaker.readCaptions(textFolder: texts) {
            byKey[(caption.key as NSString).lastPathComponent, default: []].append(caption.text)
        }
        var rows: [Float] = [], captionTexts: [String] = [], captionKeys: [String] = []
        for (key, matrix) in zip(json, matrices) where matrix.shape[1] == embeddingSize {
            let lines = byKey[(key as NSString).lastPathComponent] ?? []
            for (i, line) in lines.enumerated() where i < matrix.shape[0] {
                rows.append(contentsOf: try matrix.slice(axis: 0, start: i, end: i + 1).scalars)
                captionTexts.append(line)
                captionKeys.append(key)
            }
        }
        guard !captionTexts.isEmpty else { return nil }
        embeddings = try Tensor(shape: [captionTexts.count, embeddingSize], scalars: rows)
        (self.texts, keys, width) = (captionTexts, captionKeys, embeddingSize)
    }

    /// The `count` captions most similar to `query`, most similar first.
    public func nearest(_ query: [Float], count: Int) throws -> [Match] {
        guard query.count == width else { throw ServeError.refused(status: 500, message: "retrieval: a \(query.count)-d query for \(width)-d captions") }
        // One matrix–vector product for every caption's similarity (OpenBLAS), then the best `count`.
        let similarities = try embeddings.matmul(Tensor(shape: [width, 1], scalars: query)).scalars
        let best = similarities.indices.sorted { similarities[$0] > similarities[$1] }.prefix(count)
        return best.map { Match(text: texts[$0], key: keys[$0], similarity: similarities[$0]) }
    }
}
