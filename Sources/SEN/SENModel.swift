import S2IGANAutograd
import Foundation
import Yams
import S2IGANNN
import S2IGANTensor
import S2IGANFormats

/// The trainable SEN as one module: the speech encoder, the image encoder's trainable part and, for class
/// datasets with the distinctive loss, the shared classifier. State-dict names are prefixed `speech.`,
/// `image.`, `classifier.`; each part alone carries the reference's names.
public final class SENModel: Module {
    public let speech: SpeechEncoder
    public let image: any SENImageEncoder
    public let classifier: SENClassifier?

    public init(speech: SpeechEncoder, image: any SENImageEncoder, classifier: SENClassifier?) {
        (self.speech, self.image, self.classifier) = (speech, image, classifier)
        super.init()
    }

    /// A freshly initialised model for `configuration` (the shared generator should be seeded first).
    /// `trainingClasses` sizes the classifier; `backbone` is needed only to prepare Inception inputs live.
    public convenience init(configuration c: SENTrainingConfiguration, trainingClasses: Int?, backbone: FrozenBackbone? = nil) throws {
        let speech = try SpeechEncoder(c.speechEncoder)
        let d = c.speechEncoder.embeddingSize
        let image: any SENImageEncoder
        switch c.imageEncoder {
        case .inception: image = try InceptionImageEncoder(embeddingSize: d, backbone: backbone)
        case .convolutional:
            image = try ConvImageEncoder(inputSize: c.convolutionalInputSize, channels: c.convolutionalChannels, embeddingSize: d)
        }
        let classifier = try c.distinctiveLoss ? trainingClasses.map { try SENClassifier(embeddingSize: d, classes: $0) } : nil
        self.init(speech: speech, image: image, classifier: classifier)
    }

    /// The file names of the best models, the reference's with our extension.
    public static let speechFile = "best_audio_model.safetensors"
    public static let imageFile = "best_image_model.safetensors"
    public static let classifierFile = "best_class_model.safetensors"

    /// Writes the three parts under the reference's names into `folder` (atomically, one by one); the speech
    /// encoder's file carries its configuration so ``SpeechEncoder/load(from:)`` can rebuild it.
    public func saveParts(to folder: URL, metadata: [String: String] = [:]) throws {
        try createFolder(folder)
        let speechConfiguration = String(decoding: try JSONEncoder.sorted.encode(speech.configuration), as: UTF8.self)
        try speech.save(to: folder.appendingPathComponent(Self.speechFile), metadata: metadata.merging(["speech_encoder": speechConfiguration]) { $1 })
        try image.save(to: folder.appendingPathComponent(Self.imageFile), metadata: metadata)
        if let classifier { try classifier.save(to: folder.appendingPathComponent(Self.classifierFile), metadata: metadata) }
    }
}

extension SENModel {
    /// The trained image encoder of a SEN run: a `sen train` output folder (its `config.yml` names the encoder,
    /// `models/best_image_model.safetensors` holds the weights) or the reference's `outputs/pre_train/<ds>`
    /// folder (`models/best_image_model.pth`, the Inception encoder's `L1`). Inception encoders need the
    /// torchvision weights: `inceptionWeights`, or else the file named by the run's `config.yml` (the one it was
    /// trained with) if it is there. With `randomProjection` the Inception encoder keeps a random
    /// `L1` (the reference's behaviour on Flickr8k and Places, spec 8.3).
    public static func loadImageEncoder(fromRun folder: URL, inceptionWeights: URL?, randomProjection: Bool = false) throws -> any SENImageEncoder {
        let fm = FileManager.default
        let config = folder.appendingPathComponent("config.yml")
        var configuration: SENTrainingConfiguration?
        if fm.fileExists(atPath: config.path) {
            do {
                configuration = try YAMLDecoder().decode(SENTrainingConfiguration.self, from: String(contentsOf: config, encoding: .utf8))
            } catch {
                throw SENError.file(path: config.path, reason: "SEN run configuration: \(readableDescription(of: error))")
            }
        }
        let candidates = ["models/" + imageFile, "models/best_image_model.pth", imageFile, "best_image_model.pth"].map { folder.appendingPathComponent($0) }
        guard let weights = candidates.first(where: { fm.fileExists(atPath: $0.path) }) else {
            throw SENError.file(path: folder.path, reason: "SEN run: no models/best_image_model.safetensors or .pth")
        }
        let state = try readStateDict(weights)
        let encoder: any SENImageEncoder
        if let c = configuration, c.imageEncoder == .convolutional {
            encoder = try ConvImageEncoder(inputSize: c.convolutionalInputSize, channels: c.convolutionalChannels,
                                           embeddingSize: c.speechEncoder.embeddingSize)
        } else {
            // Without --inception-weights, the file the SEN was trained with (its config.yml records the path).
            let recorded = configuration?.inceptionWeights.map { URL(fileURLWithPath: $0) }
            guard let backboneWeights = inceptionWeights ?? recorded.flatMap({ fm.fileExists(atPath: $0.path) ? $0 : nil }) else {
                let note = recorded.map { " (its config.yml names \($0.path), which is not there)" } ?? ""
                throw SENError.invalidConfiguration("the SEN run at \(folder.path) embeds images with Inception-v3: give the torchvision weights (--inception-weights)\(note)")
            }
            let size = state["L1.weight"]?.shape.first ?? configuration?.speechEncoder.embeddingSize ?? 1024
            encoder = try InceptionImageEncoder(embeddingSize: size, backbone: FrozenBackbone(weights: backboneWeights))
            if randomProjection { return encoder }
        }
        try encoder.load(stateDict: state, source: weights.path)
        return encoder
    }
}

extension SENModel {
    /// The whole trainable SEN of a run folder, in training mode, to train on: ours (`models/best_audio_model`,
    /// `best_image_model`, `best_class_model` `.safetensors`) or the reference's (the same names as `.pth`, in
    /// `models/` or the folder itself). The sizes come from the weights; `configuration` says which image encoder
    /// it is and how the speech encoder's attention treats padding. The Inception encoder comes without its frozen
    /// trunk: it trains on 2048-d features. A classifier is loaded when the configuration has the distinctive loss.
    public static func load(fromRun folder: URL, configuration c: SENTrainingConfiguration) throws -> SENModel {
        func file(_ stem: String) -> URL? {
            ["models/\(stem).safetensors", "models/\(stem).pth", "\(stem).safetensors", "\(stem).pth"].map { folder.appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
        }
        guard let audio = file("best_audio_model"), let imageFile = file("best_image_model") else {
            throw SENError.file(path: folder.path, reason: "SEN run: no models/best_audio_model and best_image_model (.safetensors or .pth)")
        }
        let loaded = try SpeechEncoder.load(from: audio)
        var sizes = loaded.configuration
        sizes.attentionOverPadding = c.speechEncoder.attentionOverPadding
        let speech = try SpeechEncoder(sizes)
        try speech.load(stateDict: Dictionary(uniqueKeysWithValues: loaded.stateDict()), source: audio.path)
        let image: any SENImageEncoder = c.imageEncoder == .convolutional
            ? try ConvImageEncoder(inputSize: c.convolutionalInputSize, channels: c.convolutionalChannels, embeddingSize: sizes.embeddingSize)
            : try InceptionImageEncoder(embeddingSize: sizes.embeddingSize)
        try image.loadWeights(from: imageFile)
        var classifier: SENClassifier?
        if c.distinctiveLoss {
            guard let classFile = file("best_class_model") else {
                throw SENError.file(path: folder.path, reason: "SEN run: no models/best_class_model (.safetensors or .pth) for the distinctive loss")
            }
            let state = try readStateDict(classFile)
            guard let weight = state["L1.weight"], weight.rank == 2 else {
                throw SENError.file(path: classFile.path, reason: "classifier: no 2-d 'L1.weight'")
            }
            classifier = try SENClassifier(embeddingSize: sizes.embeddingSize, classes: weight.shape[0])
            try classifier?.load(stateDict: state, source: classFile.path)
        }
        let model = SENModel(speech: speech, image: image, classifier: classifier)
        model.train()
        return model
    }
}

extension SpeechEncoder {
    /// A speech encoder with weights from `url`:
    /// - a folder: `models/best_audio_model.safetensors` or `.pth` inside it (a `sen train` output or the
    ///   reference's `outputs/pre_train/<ds>`), or the same names directly in it;
    /// - a `.safetensors` file: ours (`best_audio_model.safetensors`), or a training checkpoint (`model.speech.…`);
    /// - a `.pth` file: the reference's `best_audio_model.pth` (`module.` prefixes removed).
    /// The architecture is read from the file's metadata, or from the weight shapes (stride 2).
    public static func load(from url: URL) throws -> SpeechEncoder {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw SENError.file(path: url.path, reason: "speech encoder: no such file or folder")
        }
        var file = url
        if isFolder.boolValue {
            let candidates = ["models/best_audio_model.safetensors", "models/best_audio_model.pth", "best_audio_model.safetensors", "best_audio_model.pth"]
            guard let found = candidates.map({ url.appendingPathComponent($0) }).first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                throw SENError.file(path: url.path, reason: "speech encoder: the folder has no models/best_audio_model.safetensors or .pth")
            }
            file = found
        }
        var state: [String: Tensor] = [:]
        var configuration: SpeechEncoderConfiguration?
        switch file.pathExtension.lowercased() {
        case "safetensors":
            let contents = try SafeTensorsFile.read(file)
            for (name, array) in contents.arrays { state[name] = array.tensor() }
            if let json = contents.metadata["speech_encoder"] {
                do { configuration = try JSONDecoder().decode(SpeechEncoderConfiguration.self, from: Data(json.utf8)) } catch {
                    throw SENError.file(path: file.path, reason: "speech encoder: unreadable configuration in the metadata (\(readableDescription(of: error)))")
                }
            }
        case "pth", "pt", "bin", "ckpt", "tar":
            for (name, array) in try TorchCheckpoint.read(file).stateDict() { state[name] = array.tensor() }
        default:
            throw SENError.file(path: file.path, reason: "speech encoder: unknown extension '.\(file.pathExtension)' (expected .safetensors or .pth)")
        }
        for prefix in ["model.speech.", "speech."] where state.keys.contains(where: { $0.hasPrefix(prefix) }) {
            state = Dictionary(uniqueKeysWithValues: state.compactMap { $0.key.hasPrefix(prefix) ? (String($0.key.dropFirst(prefix.count)), $0.value) : nil })
            break
        }
        do {
            // The sizes the weights have decide; a configuration in the metadata that disagrees with them is
            // refused before anything is built (a lying size would otherwise allocate for it).
            var fromWeights = try SpeechEncoderConfiguration(stateDict: state, stride: configuration?.stride ?? 2)
            fromWeights.attentionOverPadding = configuration?.attentionOverPadding ?? fromWeights.attentionOverPadding
            if let configuration, configuration != fromWeights {
                let differences = SpeechEncoderConfiguration.CodingKeys.allCases.compactMap { key -> String? in
                    let stored = configuration.value(of: key), actual = fromWeights.value(of: key)
                    return stored == actual ? nil : "\(key.rawValue) \(stored) (weights: \(actual))"
                }
                throw SENError.file(path: file.path, reason: "speech encoder: the metadata's configuration does not match the weights: "
                                       + differences.joined(separator: ", "))
            }
            let encoder = try SpeechEncoder(fromWeights)
            try encoder.load(stateDict: state, source: file.path)
            encoder.eval()
            return encoder
        } catch let error as any S2IGANError {
            if error.filePath != nil { throw error }
            throw SENError.file(path: file.path, reason: "\(error)")
        }
    }
}
