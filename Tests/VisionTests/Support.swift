import Foundation
import Tensor
import NN
import TestSupport
@testable import Vision

/// Golden files written by Tools/fixtures/make_vision_fixtures.py (Pillow 13, torchvision 0.29) and
/// Tools/fixtures/make_inception_fixtures.py (torchvision 0.29, pytorch-fid 0.3.0).
let fixtures = FixtureFolder(besides: #filePath)

/// A uint8 `H × W × 3` fixture as an image.
func fixtureImage(_ name: String) throws -> RGBImage {
    try RGBImage(array: NPY.read(fixtures.url(name)))
}

/// The largest absolute byte difference between two images of one size (Int.max when sizes differ).
func maximumDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
    guard a.width == b.width, a.height == b.height else { return Int.max }
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

/// The counter-based values of Tools/fixtures/make_inception_fixtures.py: FNV-1a 64 of the name, a
/// splitmix64-style mix of `hash + (j + 1)·golden`, the top 24 bits as a fraction in [0, 1). Computed in
/// integers and doubles exactly as NumPy does, so the weights (and inputs) are bit-identical to the script's.
enum HashedValues {
    static func fnv1a64(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    static func unit(_ name: String, count: Int) -> [Double] {
        let h = fnv1a64(name)
        return (0..<count).map { j in
            var z = h &+ (UInt64(j) &+ 1) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 40) / 16_777_216
        }
    }

    /// The script's rule for a state-dict entry.
    static func parameter(_ name: String, shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        if name.hasSuffix("num_batches_tracked") { return try Tensor.zeros(shape) }
        let u = unit(name, count: n)
        let values: [Double]
        if shape.count >= 2 {
            let bound = (6 / Double(shape.dropFirst().reduce(1, *))).squareRoot()
            values = u.map { (2 * $0 - 1) * bound }
        } else if name.hasSuffix("running_mean") {
            values = u.map { 0.2 * $0 - 0.1 }
        } else if name.hasSuffix("running_var") {
            values = u.map { 0.6 + 0.8 * $0 }
        } else if name.hasSuffix("bn.weight") {
            values = u.map { 0.8 + 0.4 * $0 }
        } else {
            values = u.map { 0.2 * $0 - 0.1 }
        }
        return try Tensor(shape: shape, scalars: values.map { Float($0) })
    }

    /// The script's weights for every entry of `model`'s state dict.
    static func load(into model: Module) throws {
        var state: [String: Tensor] = [:]
        for (name, value) in model.stateDict() { state[name] = try parameter(name, shape: value.shape) }
        try model.load(stateDict: state)
    }
}
