import Foundation

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

/// A scratch folder per process for the decoders that read files (libsndfile, the zip readers, dataset trees).
enum Scratch {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to a fixed file name in the scratch folder (overwritten by the next input).
    static func file(_ bytes: [UInt8], name: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }
}
