import Foundation

/// The datasets S2IGAN is trained on, plus the built-in spoken-flowers dataset. Always chosen by name —
/// never guessed from a path, as the reference does (`'birds' in data_dir`).
public enum DatasetKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case cub
    case oxford
    case flickr8k
    case places
    case spokenFlowers = "spoken-flowers"

    /// Accepts the canonical names and the reference's folder names (`birds`, `flowers`, `flickr`).
    public init?(name: String) {
        switch name.lowercased() {
        case "cub", "birds", "cub-200-2011", "cub200": self = .cub
        case "oxford", "flowers", "oxford-102", "oxford102": self = .oxford
        case "flickr8k", "flickr": self = .flickr8k
        case "places", "places-subset": self = .places
        case "spoken-flowers", "spokenflowers", "synthetic": self = .spokenFlowers
        default: return nil
        }
    }

    public var description: String { rawValue }

    /// The folder under the root that holds `images/`, the features and CUB's text files.
    var dataFolder: String {
        switch self {
        case .cub: return "CUB_200_2011"
        case .oxford, .spokenFlowers: return "Oxford102"
        case .flickr8k, .places: return ""
        }
    }

    /// Where the images are, relative to the root.
    public var imagesPath: String { dataFolder.isEmpty ? "images" : dataFolder + "/images" }

    /// Where the log-mel features are, relative to the root.
    public var featuresPath: String {
        switch self {
        case .cub, .oxford, .spokenFlowers: return dataFolder + "/audio_mel"
        case .flickr8k: return "flickr_audio/mel"
        case .places: return "audio/mel"
        }
    }

    /// Where the spoken captions are, relative to the root (one folder per image for CUB-style data).
    public var audioPath: String {
        switch self {
        case .cub, .oxford, .spokenFlowers: return dataFolder + "/audio"
        case .flickr8k: return "flickr_audio/wavs"
        case .places: return "audio/wav"
        }
    }

    /// Captions per image (`SPEECH.CAPTIONS_PER_IMAGE`); `nil` when the dataset says itself (spoken-flowers).
    public var captionsPerImage: Int? {
        switch self {
        case .cub, .oxford: return 10
        case .flickr8k: return 5
        case .places: return 1
        case .spokenFlowers: return nil
        }
    }

    /// Whether images carry class ids (`class_info.pickle`); otherwise an image's class is its index.
    public var hasClasses: Bool { self == .cub || self == .oxford || self == .spokenFlowers }

    /// The number of classes of the whole dataset (ids are 1-based), where fixed.
    public var classCount: Int? {
        switch self {
        case .cub: return 200
        case .oxford: return 102
        default: return nil
        }
    }

    /// Whether images are cropped around their bounding box (CUB).
    public var usesBoundingBoxes: Bool { self == .cub }

    /// The reference's short name (`outputs/pre_train/<name>`).
    public var referenceName: String {
        switch self {
        case .cub: return "birds"
        case .oxford: return "flowers"
        case .flickr8k: return "flickr"
        case .places: return "places"
        case .spokenFlowers: return "spoken-flowers"
        }
    }
}

/// The two splits of the reference's datasets.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train, test
}
