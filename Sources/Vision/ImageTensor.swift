import S2IGANTensor

/// The value range of an image tensor.
public enum PixelRange: String, Sendable, CaseIterable {
    /// [0, 1]: torchvision's `ToTensor` (`byte / 255`).
    case unit
    /// [−1, 1]: `ToTensor` then `Normalize(0.5, 0.5)`, the range of S2IGAN's images and generator.
    case signed
}

/// How tensor values become bytes.
public enum PixelQuantization: Sendable {
    /// `clamp(round(v · 255))`, as torchvision's `save_image` (`mul(255).add(0.5).clamp(0, 255)`).
    case round
    /// `clamp(v · 255)` truncated toward zero: S2IGAN's conversion of generated images
    /// (`((x + 1) / 2 · 255).clamp(0, 255).astype(uint8)`).
    case truncate
}

extension RGBImage {
    /// The image as a `[3, H, W]` tensor in `range` (channels first, as PyTorch's `ToTensor`).
    public func tensor(range: PixelRange = .unit) -> Tensor {
        let plane = width * height
        return Tensor(shape: [3, height, width]) { out in
            pixels.withUnsafeBufferPointer { px in
                for i in 0..<plane {
                    for c in 0..<3 {
                        let unit = Float(px[3 * i + c]) / 255
                        out[c * plane + i] = range == .unit ? unit : (unit - 0.5) / 0.5
                    }
                }
            }
        }
    }

    /// The image of a `[3, H, W]` tensor whose values are in `range`; values outside it are clamped.
    /// - Throws: if the tensor is not `[3, H, W]`.
    public init(tensor: Tensor, range: PixelRange = .unit, quantization: PixelQuantization = .round) throws {
        guard tensor.rank == 3, tensor.shape[0] == 3, tensor.shape[1] > 0, tensor.shape[2] > 0 else {
            throw VisionError.shapeMismatch("image: expected a [3, H, W] tensor, got \(tensor.shape)")
        }
        let (h, w) = (tensor.shape[1], tensor.shape[2])
        let plane = h * w
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        let values = tensor.scalars
        for c in 0..<3 {
            for i in 0..<plane {
                pixels[3 * i + c] = RGBImage.quantize(values[c * plane + i], range: range, quantization: quantization)
            }
        }
        try self.init(width: w, height: h, pixels: pixels)
    }

    /// One tensor value as a byte (NaN becomes 0).
    @inline(__always)
    static func quantize(_ value: Float, range: PixelRange, quantization: PixelQuantization) -> UInt8 {
        let scaled: Float = range == .unit ? value * 255 : (value + 1) / 2 * 255
        let v = quantization == .round ? scaled + 0.5 : scaled
        guard v > 0 else { return 0 }
        return v >= 255 ? 255 : UInt8(v)
    }
}

extension Tensor {
    /// Images of one size stacked into a `[N, 3, H, W]` batch in `range`.
    /// - Throws: if the list is empty or the sizes differ.
    public static func batch(_ images: [RGBImage], range: PixelRange = .unit) throws -> Tensor {
        guard let first = images.first else { throw VisionError.invalidSetting("image batch: no images") }
        for image in images where image.width != first.width || image.height != first.height {
            throw VisionError.shapeMismatch("image batch: sizes differ (\(first.width)×\(first.height) and \(image.width)×\(image.height))")
        }
        return try Tensor.stack(images.map { $0.tensor(range: range) }, axis: 0)
    }

    /// The images of a `[N, 3, H, W]` batch in `range`.
    public func images(range: PixelRange = .unit, quantization: PixelQuantization = .round) throws -> [RGBImage] {
        guard rank == 4 else { throw VisionError.shapeMismatch("images: expected [N, 3, H, W], got \(shape)") }
        return try (0..<shape[0]).map {
            try RGBImage(tensor: slice(axis: 0, start: $0, end: $0 + 1).squeezed(axis: 0), range: range, quantization: quantization)
        }
    }
}
