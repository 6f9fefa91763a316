import S2IGANTensor

/// S2IGAN's training augmentation of a PIL image: the shorter side resized to `resizeSize` (Pillow
/// bilinear), a uniformly placed `cropSize` square, mirrored with probability `flipProbability`
/// (torchvision's `Resize`, `RandomCrop`, `RandomHorizontalFlip`). The reference uses it for both SEN and
/// GAN and, as it does, for its test split too.
public struct ReferenceAugmentation: Sendable, Equatable {
    public var resizeSize: Int
    public var cropSize: Int
    public var flipProbability: Double

    public init(resizeSize: Int, cropSize: Int, flipProbability: Double = 0.5) {
        (self.resizeSize, self.cropSize, self.flipProbability) = (resizeSize, cropSize, flipProbability)
    }

    /// The reference's sizes for `imageSize` (256 → resize 304 = `Int(256 · 76 / 64)`, crop 256).
    public static func reference(imageSize: Int = 256) -> ReferenceAugmentation {
        ReferenceAugmentation(resizeSize: Int(Double(imageSize) * 76 / 64), cropSize: imageSize)
    }

    /// The augmented image; the generator decides the crop position (first the row, then the column) and
    /// then the flip.
    public func apply(to image: RGBImage, using rng: inout RandomGenerator) throws -> RGBImage {
        let resized = try image.resized(shorterSide: resizeSize)
        let crop = try resized.randomlyCropped(width: cropSize, height: cropSize, using: &rng)
        return rng.nextDouble() < flipProbability ? crop.horizontallyFlipped() : crop
    }
}

extension RGBImage {
    /// The GAN's image pyramid: the image itself resized (Pillow bilinear) to each of `sizes`, as the
    /// reference builds 64/128/256 from its 256 px crop. A size equal to the image's is the image unchanged.
    public func pyramid(sizes: [Int]) throws -> [RGBImage] {
        try sizes.map { try resized(width: $0, height: $0) }
    }
}

extension Tensor {
    /// `(x − mean[c]) / std[c]` per channel of a `[3, H, W]` or `[N, 3, H, W]` tensor, as torchvision's
    /// `Normalize`.
    public func normalizedChannels(mean: [Float], std: [Float]) throws -> Tensor {
        guard rank == 3 || rank == 4, mean.count == shape[rank - 3], std.count == mean.count else {
            throw VisionError.shapeMismatch("normalize: \(mean.count) means and \(std.count) deviations for shape \(shape)")
        }
        guard std.allSatisfy({ $0 != 0 }) else { throw VisionError.invalidSetting("normalize: a standard deviation is 0") }
        let channels = mean.count, plane = shape[rank - 1] * shape[rank - 2]
        var out = self
        out.withUnsafeMutableBufferPointer { v in
            for start in Swift.stride(from: 0, to: v.count, by: plane) {
                let c = (start / plane) % channels
                for i in start..<(start + plane) { v[i] = (v[i] - mean[c]) / std[c] }
            }
        }
        return out
    }
}
