import ArgumentParser
import S2IGANEvaluation
import S2IGANAudio
import S2IGANDatasets
import S2IGANDemo
import S2IGANSEN
import S2IGANVision

// The library's choices as option values: ArgumentParser checks them while parsing (a usage error, exit code 64,
// listing the accepted values) and lists them in the help.

extension DatasetSplit: ExpressibleByArgument {}
extension PixelRange: ExpressibleByArgument {}
extension AudioFeatureExtractor.Layout: ExpressibleByArgument {}
extension SENTrainingConfiguration.ImageEncoderKind: ExpressibleByArgument {}
extension SENTrainingConfiguration.ValidationImages: ExpressibleByArgument {}
extension DemoPipeline.Stage: ExpressibleByArgument {}

extension CaptionSpeaker.Layout: ExpressibleByArgument {
    /// In any case, as before (`--dataset CUB`).
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// `--dataset` by name, the reference's folder names included (`birds`, `flowers`, `flickr`); never guessed from
/// a path. Parsed by a transform rather than `ExpressibleByArgument` so that the error says what the names are,
/// aliases included.
func datasetKind(_ name: String) throws -> DatasetKind {
    guard let kind = DatasetKind(name: name) else {
        throw ValidationError("unknown --dataset '\(name)' (\(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return kind
}

/// The Inception network of `features image` by its command-line name.
enum Backbone: String, CaseIterable, ExpressibleByArgument {
    case inceptionV3 = "inception-v3"
    case fidInception = "fid-inception"

    var variant: InceptionV3.Variant { self == .inceptionV3 ? .torchvision : .fid }
}

/// The speech engine of `dataset speak` (`espeak` is an alias of `espeak-ng`).
enum EngineChoice: String, CaseIterable, ExpressibleByArgument {
    case espeakNG = "espeak-ng"
    case espeak
    case command
}

/// The Inception Score of `eval is`: the reference's or torch-fidelity's.
extension FIDVariant: ExpressibleByArgument {}

enum ISVariant: String, CaseIterable, ExpressibleByArgument {
    case reference
    case fidelity
}
