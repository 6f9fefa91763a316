import Foundation
import S2IGANTensor

/// Images laid out in a grid, as torchvision's `make_grid`: `columns` per row, `padding` pixels around and
/// between them filled with `padValue`; used for training snapshots and reports.
public enum ImageGrid {
    /// The grid of a `[N, 3, H, W]` batch as one `[3, rows·(H+p)+p, columns·(W+p)+p]` tensor.
    public static func make(_ batch: Tensor, columns: Int = 8, padding: Int = 2, padValue: Float = 0) throws -> Tensor {
        guard batch.rank == 4, batch.shape[0] > 0 else {
            throw VisionError.shapeMismatch("image grid: expected a non-empty [N, C, H, W] batch, got \(batch.shape)")
        }
        guard columns > 0, padding >= 0 else { throw VisionError.invalidSetting("image grid: columns must be positive and padding not negative") }
        let (n, c, h, w) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let across = min(columns, n), down = (n + across - 1) / across
        let cellH = h + padding, cellW = w + padding
        let outH = down * cellH + padding, outW = across * cellW + padding
        return batch.withUnsafeBufferPointer { src in
            Tensor(shape: [c, outH, outW]) { out in
                out.update(repeating: padValue)
                for k in 0..<n {
                    let top = (k / across) * cellH + padding, left = (k % across) * cellW + padding
                    for ch in 0..<c {
                        for y in 0..<h {
                            let from = ((k * c + ch) * h + y) * w, to = (ch * outH + top + y) * outW + left
                            (out.baseAddress! + to).update(from: src.baseAddress! + from, count: w)
                        }
                    }
                }
            }
        }
    }

    /// Writes the grid of a batch in `range` as an image file (PNG unless the extension says JPEG), with
    /// torchvision's `save_image` rounding.
    public static func save(_ batch: Tensor, to url: URL, columns: Int = 8, padding: Int = 2, range: PixelRange = .unit,
                            padValue: Float? = nil) throws {
        let background = padValue ?? (range == .unit ? 0 : -1)
        let grid = try make(batch, columns: columns, padding: padding, padValue: background)
        try RGBImage(tensor: grid, range: range, quantization: .round).write(to: url)
    }
}
