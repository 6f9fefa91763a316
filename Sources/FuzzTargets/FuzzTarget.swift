import Foundation
import S2IGANFormats

/// One decoder under fuzzing: a name (`S2IGAN_FUZZ_TARGET`, the corpus folder) and a function that runs the
/// project's public decoding entry points on arbitrary bytes. A thrown error is the expected outcome of bad
/// input; a crash, trap, sanitizer report, hang or huge allocation is a finding.
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the target reads, and through which entry points.
    public let summary: String
    public let run: @Sendable ([UInt8]) throws -> Void

    public init(name: String, summary: String, run: @escaping @Sendable ([UInt8]) throws -> Void) {
        (self.name, self.summary, self.run) = (name, summary, run)
    }
}

/// The registry of fuzz targets, one per decoder.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "pickle", summary: "PickleReader(data:).decode()", run: DecoderTargets.pickle),
        FuzzTarget(name: "npy", summary: "NPY.decode, NPY.readMatrices (object arrays of ragged matrices)", run: DecoderTargets.npy),
        FuzzTarget(name: "npz", summary: "NPZ.read (zip of .npy members, stored or deflated)", run: DecoderTargets.npz),
        FuzzTarget(name: "safetensors", summary: "SafeTensorsFile.decode, then every tensor", run: DecoderTargets.safetensors),
        FuzzTarget(name: "pth", summary: "TorchCheckpoint.read (zip and legacy), then stateDict()", run: DecoderTargets.pth),
        FuzzTarget(name: "wav", summary: "AudioSignal.read through libsndfile", run: DecoderTargets.wav),
        FuzzTarget(name: "png", summary: "RGBImage.decode through CImageCodecs (libpng)", run: DecoderTargets.image),
        FuzzTarget(name: "jpeg", summary: "RGBImage.decode through CImageCodecs (libjpeg)", run: DecoderTargets.image),
        FuzzTarget(name: "sen-config", summary: "SENTrainingConfiguration.load(yaml:base:)", run: ConfigurationTargets.sen),
        FuzzTarget(name: "rdg-config", summary: "RDGTrainingConfiguration.load(yaml:base:)", run: ConfigurationTargets.rdg),
        FuzzTarget(name: "dataset", summary: "a file bundle laid out as a dataset folder, SpokenImageDataset.open and item loading",
                   run: DatasetTarget.run),
    ]

    /// The target called `name`, if any.
    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}

/// Scratch files for the decoders that read files (libsndfile, the zip readers, dataset trees): each input gets
/// its own name, removed after the call, so targets can run at once (as the tests run them) and nothing is left.
enum Scratch {
    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-fuzz")

    /// A fresh path in the scratch folder, ending in `suffix`.
    static func uniqueURL(_ suffix: String) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)\(suffix)")
    }

    /// Writes `bytes` to a fresh file named `*suffix`, runs `body` on it, and removes it.
    static func withFile<T>(_ bytes: [UInt8], suffix: String, _ body: (URL) throws -> T) throws -> T {
        let url = try uniqueURL(suffix)
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }
}
