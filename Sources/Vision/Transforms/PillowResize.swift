import Foundation
import S2IGANTensor

/// Pillow's convolution resampling with its bilinear (triangle) filter, reproduced to the byte: the support
/// of the filter grows with the reduction factor (so shrinking antialiases), coefficients are normalised and
/// rounded to 22-bit fixed point, and the image is filtered horizontally into an 8-bit intermediate, then
/// vertically. This is what `PIL.Image.resize(size, Image.BILINEAR)` and torchvision's `Resize` on PIL
/// images do, and what S2IGAN's data pipeline feeds its networks.
enum PillowResampling {
    static let precisionBits = 32 - 8 - 2

    /// The taps of one direction: for output `i`, `count[i]` coefficients from input `first[i]` on.
    struct Taps {
        var first: [Int] = []
        var count: [Int] = []
        var width = 0
        var coefficients: [Int32] = []
    }

    /// Pillow's `precompute_coeffs`: for each output, the input range its filter covers and the normalised weights
    /// (in doubles), for a `filter` of `support` 1 (bilinear) or 2 (bicubic) widened by the reduction factor.
    static func weights(input: Int, output: Int, support filterSupport: Double, filter: (Double) -> Double)
        -> (first: [Int], count: [Int], width: Int, weights: [Double]) {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = filterSupport * filterScale
        let width = Int(support.rounded(.up)) * 2 + 1
        var first: [Int] = [], count: [Int] = []
        first.reserveCapacity(output)
        count.reserveCapacity(output)
        var weights = [Double](repeating: 0, count: output * width)
        let inverse = 1 / filterScale
        for o in 0..<output {
            let center = (Double(o) + 0.5) * scale
            let low = max(0, Int(center - support + 0.5))
            let high = min(input, Int(center + support + 0.5)) - low
            var total = 0.0
            for k in 0..<max(high, 0) {
                let w = filter((Double(k + low) - center + 0.5) * inverse)
                weights[o * width + k] = w
                total += w
            }
            if total != 0 { for k in 0..<max(high, 0) { weights[o * width + k] /= total } }
            first.append(low)
            count.append(max(high, 0))
        }
        return (first, count, width, weights)
    }

    /// Pillow's triangle filter.
    static func bilinear(_ x: Double) -> Double {
        let t = abs(x)
        return t < 1 ? 1 - t : 0
    }

    /// Pillow's cubic convolution filter, a = −0.5.
    static func bicubic(_ x: Double) -> Double {
        let a = -0.5, t = abs(x)
        if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
        return 0
    }

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter (support 1).
    static func taps(input: Int, output: Int) -> Taps {
        let w = weights(input: input, output: output, support: 1, filter: bilinear)
        var taps = Taps()
        (taps.first, taps.count, taps.width) = (w.first, w.count, w.width)
        taps.coefficients = w.weights.map { v in
            let fixed = v * Double(1 << precisionBits)
            return Int32(v < 0 ? fixed - 0.5 : fixed + 0.5)
        }
        return taps
    }

    @inline(__always)
    static func clip8(_ value: Int32) -> UInt8 {
        if value >= Int32(1 << precisionBits) << 8 { return 255 }
        if value <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: value >> Int32(precisionBits))
    }

    static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        if width == image.width && height == image.height { return image }
        let horizontal = taps(input: image.width, output: width)
        var vertical = taps(input: image.height, output: height)
        // Only the rows the vertical pass reads are filtered horizontally.
        let firstRow = vertical.first[0]
        let lastRow = vertical.first[height - 1] + vertical.count[height - 1]
        var source = image.pixels, sourceWidth = image.width
        var rows = image.height
        let half = Int32(1 << (precisionBits - 1))
        if width != image.width {
            rows = lastRow - firstRow
            for i in 0..<height { vertical.first[i] -= firstRow }
            var out = [UInt8](repeating: 0, count: rows * width * 3)
            source.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    horizontal.coefficients.withUnsafeBufferPointer { k in
                        for y in 0..<rows {
                            let line = (y + firstRow) * sourceWidth * 3
                            for x in 0..<width {
                                var r = half, g = half, b = half
                                let first = horizontal.first[x], base = x * horizontal.width
                                for t in 0..<horizontal.count[x] {
                                    let w = k[base + t], p = line + (first + t) * 3
                                    r &+= Int32(src[p]) &* w
                                    g &+= Int32(src[p + 1]) &* w
                                    b &+= Int32(src[p + 2]) &* w
                                }
                                let o = (y * width + x) * 3
                                dst[o] = clip8(r); dst[o + 1] = clip8(g); dst[o + 2] = clip8(b)
                            }
                        }
                    }
                }
            }
            source = out
            sourceWidth = width
        }
        guard height != image.height else {
            // Only a horizontal pass was needed (all rows were filtered).
            return RGBImage(checkedWidth: width, height: height, pixels: source)
        }
        var out = [UInt8](repeating: 0, count: height * width * 3)
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                vertical.coefficients.withUnsafeBufferPointer { k in
                    for y in 0..<height {
                        let first = vertical.first[y], base = y * vertical.width
                        for x in 0..<width {
                            var r = half, g = half, b = half
                            for t in 0..<vertical.count[y] {
                                let w = k[base + t], p = ((first + t) * sourceWidth + x) * 3
                                r &+= Int32(src[p]) &* w
                                g &+= Int32(src[p + 1]) &* w
                                b &+= Int32(src[p + 2]) &* w
                            }
                            let o = (y * width + x) * 3
                            dst[o] = clip8(r); dst[o + 1] = clip8(g); dst[o + 2] = clip8(b)
                        }
                    }
                }
            }
        }
        return RGBImage(checkedWidth: width, height: height, pixels: out)
    }
}

extension RGBImage {
    /// Resized to `width × height` with Pillow's antialiased bilinear filter
    /// (`PIL.Image.resize((width, height), Image.BILINEAR)`, byte for byte).
    /// - Throws: if a size is not positive.
    public func resized(width: Int, height: Int) throws -> RGBImage {
        guard width > 0, height > 0 else { throw VisionError.invalidSetting("resize: size must be positive, got \(width)×\(height)") }
        return PillowResampling.resize(self, width: width, height: height)
    }

    /// The shorter side resized to `size` and the longer one to `Int(size · long / short)`, keeping the aspect
    /// ratio as torchvision's `Resize(size)` on a PIL image does (Pillow bilinear).
    public func resized(shorterSide size: Int) throws -> RGBImage {
        guard size > 0 else { throw VisionError.invalidSetting("resize: size must be positive, got \(size)") }
        if width <= height {
            if width == size { return self }
            return try resized(width: size, height: Int(Double(size) * Double(height) / Double(width)))
        }
        if height == size { return self }
        return try resized(width: Int(Double(size) * Double(width) / Double(height)), height: size)
    }
}
