import Foundation
import S2IGANTensor

extension PillowResampling {
    /// Pillow's resampling of a 32-bit float image (mode "F") with its bicubic filter: weights in doubles, a
    /// horizontal pass into a float intermediate (only the rows the vertical pass reads), then a vertical pass,
    /// each output summed in double and stored as a float.
    static func resizeBicubic(_ plane: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int) -> [Float] {
        if toWidth == width && toHeight == height { return plane }
        let horizontal = weights(input: width, output: toWidth, support: 2, filter: bicubic)
        var vertical = weights(input: height, output: toHeight, support: 2, filter: bicubic)
        var source = plane, sourceWidth = width
        if toWidth != width {
            let firstRow = vertical.first[0]
            let rows = vertical.first[toHeight - 1] + vertical.count[toHeight - 1] - firstRow
            for i in 0..<toHeight { vertical.first[i] -= firstRow }
            var out = [Float](repeating: 0, count: rows * toWidth)
            for y in 0..<rows {
                let line = (y + firstRow) * width
                for x in 0..<toWidth {
                    var sum = 0.0
                    let first = horizontal.first[x], base = x * horizontal.width
                    for t in 0..<horizontal.count[x] { sum += Double(source[line + first + t]) * horizontal.weights[base + t] }
                    out[y * toWidth + x] = Float(sum)
                }
            }
            (source, sourceWidth) = (out, toWidth)
        }
        guard toHeight != height else { return source }
        var out = [Float](repeating: 0, count: toHeight * toWidth)
        for y in 0..<toHeight {
            let first = vertical.first[y], base = y * vertical.width
            for x in 0..<toWidth {
                var sum = 0.0
                for t in 0..<vertical.count[y] { sum += Double(source[(first + t) * sourceWidth + x]) * vertical.weights[base + t] }
                out[y * toWidth + x] = Float(sum)
            }
        }
        return out
    }
}

extension RGBImage {
    /// clean-fid's resize ("clean" mode): each channel as a 32-bit float image resized with Pillow's bicubic filter
    /// (`Image.fromarray(channel.astype(np.float32), mode="F").resize(size, Image.BICUBIC)`), then clipped to
    /// [0, 255]. The result is `[3, height, width]` in [0, 255], not quantised.
    public func cleanResized(width: Int, height: Int) throws -> Tensor {
        guard width > 0, height > 0 else { throw VisionError.invalidSetting("resize: size must be positive, got \(width)×\(height)") }
        var planes: [Float] = []
        planes.reserveCapacity(3 * width * height)
        for c in 0..<3 {
            let channel = (0..<(self.width * self.height)).map { Float(pixels[$0 * 3 + c]) }
            let resized = PillowResampling.resizeBicubic(channel, width: self.width, height: self.height, toWidth: width, toHeight: height)
            planes += resized.map { Swift.min(Swift.max($0, 0), 255) }
        }
        return try Tensor(shape: [3, height, width], scalars: planes)
    }
}
