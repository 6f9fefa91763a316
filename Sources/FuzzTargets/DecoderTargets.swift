import S2IGANAudio
import Foundation
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// The file-format decoders of Tensor, Audio and Vision.
enum DecoderTargets {
    static func pickle(_ bytes: [UInt8]) throws {
        _ = try PickleReader(data: Data(bytes)).decode()
    }

    static func npy(_ bytes: [UInt8]) throws {
        // The numeric path in memory, then the feature-file path, which also takes pickled object arrays.
        if let array = try? NPY.decode(Data(bytes)) { _ = array.tensor() }
        let matrices = try Scratch.withFile(bytes, suffix: ".npy") { try NPY.readMatrices($0) }
        _ = matrices.reduce(0) { $0 + $1.count }
    }

    static func npz(_ bytes: [UInt8]) throws {
        for (_, array) in try Scratch.withFile(bytes, suffix: ".npz", { try NPZ.read($0) }) { _ = array.tensor() }
    }

    static func safetensors(_ bytes: [UInt8]) throws {
        let file = try SafeTensorsFile.decode(Data(bytes))
        for name in file.arrays.keys.sorted() { _ = try file.tensor(name) }
        _ = try file.encoded()
    }

    static func pth(_ bytes: [UInt8]) throws {
        let checkpoint = try Scratch.withFile(bytes, suffix: ".pth") { try TorchCheckpoint.read($0) }
        for (_, array) in try checkpoint.stateDict() { _ = array.tensor() }
    }

    static func wav(_ bytes: [UInt8]) throws {
        let signal = try Scratch.withFile(bytes, suffix: ".wav") { try AudioSignal.read($0) }
        _ = signal.duration
    }

    /// PNG and JPEG share the entry point, which tells them apart by signature; the two targets differ in their corpus.
    static func image(_ bytes: [UInt8]) throws {
        let image = try RGBImage.decode(Data(bytes))
        // Decoding copies the codec's whole pixel buffer: a short buffer is an AddressSanitizer report there.
        // (No re-encoding: a 300-byte progressive JPEG may declare 37 megapixels, and encoding that as PNG
        // takes longer than the fuzzer's timeout without exercising any decoder.)
        _ = image[image.width - 1, image.height - 1]
    }
}
