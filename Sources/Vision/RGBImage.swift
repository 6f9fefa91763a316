import Foundation
import S2IGANTensor
import S2IGANFormats

/// An 8-bit RGB image: `height` rows of `width` pixels, each three bytes (red, green, blue), rows top to
/// bottom — the layout of a Pillow image converted to `"RGB"` and of `numpy.asarray` on it (H × W × 3).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `height · width · 3` bytes, row-major, channels interleaved.
    public var pixels: [UInt8]

    /// An image from interleaved RGB bytes.
    /// - Throws: if `pixels` does not hold `width · height · 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw VisionError.invalidSetting("image: \(pixels.count) bytes do not make a \(width)×\(height) RGB image")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image whose byte count the caller has already made right.
    init(checkedWidth width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "image: inconsistent size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one colour.
    public init(width: Int, height: Int, fill: (red: UInt8, green: UInt8, blue: UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "image: size must be positive")
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            for i in 0..<(width * height) {
                pixels[3 * i] = fill.red
                pixels[3 * i + 1] = fill.green
                pixels[3 * i + 2] = fill.blue
            }
        }
        self.pixels = pixels
    }

    /// The image from an `H × W × 3` uint8 array (as `numpy.asarray(pil_image)` gives).
    public init(array: TypedArray) throws {
        guard array.scalarType == .uint8, array.shape.count == 3, array.shape[2] == 3 else {
            throw VisionError.invalidSetting("image: expected an H×W×3 uint8 array, got \(array.scalarType) \(array.shape)")
        }
        try self.init(width: array.shape[1], height: array.shape[0], pixels: [UInt8](array.bytes))
    }

    /// The image as an `H × W × 3` uint8 array.
    public func array() throws -> TypedArray {
        try TypedArray(scalarType: .uint8, shape: [height, width, 3], bytes: Data(pixels))
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
