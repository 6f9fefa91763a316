import Foundation
import S2IGANTensor
import S2IGANVision

/// Line charts as pictures, for training curves: each series is drawn against its index (the epoch) on a
/// white canvas with a frame and four horizontal grid lines; the y range covers every finite value of every
/// series. Series with nil gaps are drawn as separate segments and single points as dots. The picture has no
/// text: the report states the ranges beside it (``Range``).
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double?]
        public var color: CanvasColor
        public init(name: String, values: [Double?], color: CanvasColor) { (self.name, self.values, self.color) = (name, values, color) }
    }

    /// The axes' ranges: x from 0 to `points − 1`, y from `low` to `high`.
    public struct Range: Sendable, Equatable {
        public var points: Int
        public var low: Double
        public var high: Double
    }

    public var series: [Series]
    public var width: Int
    public var height: Int

    public init(series: [Series], width: Int = 480, height: Int = 240) {
        (self.series, self.width, self.height) = (series, width, height)
    }

    /// A palette of distinguishable line colours, with their CSS names for legends.
    public static let palette: [(color: CanvasColor, css: String)] = [
        (CanvasColor(31, 119, 180), "#1f77b4"), (CanvasColor(214, 39, 40), "#d62728"), (CanvasColor(44, 160, 44), "#2ca02c"),
        (CanvasColor(255, 127, 14), "#ff7f0e"), (CanvasColor(148, 103, 189), "#9467bd"), (CanvasColor(140, 86, 75), "#8c564b"),
        (CanvasColor(227, 119, 194), "#e377c2"), (CanvasColor(23, 190, 207), "#17becf"),
    ]

    /// The ranges the picture uses.
    public var range: Range {
        let values = series.flatMap { $0.values.compactMap { $0 } }.filter(\.isFinite)
        let points = series.map(\.values.count).max() ?? 0
        guard var low = values.min(), var high = values.max() else { return Range(points: points, low: 0, high: 1) }
        if high - low < 1e-9 { (low, high) = (low - 0.5, high + 0.5) }
        let margin = 0.05 * (high - low)
        return Range(points: points, low: low - margin, high: high + margin)
    }

    /// The chart.
    /// - Throws: for a canvas under 32 × 32 pixels.
    public func render() throws -> RGBImage {
        guard width >= 32, height >= 32 else { throw DemoError.invalidConfiguration("line plot: \(width) × \(height) is below 32 × 32 pixels") }
        var canvas = try Canvas(width: width, height: height, background: .white)
        let left = 8.0, right = Double(width) - 8, top = 8.0, bottom = Double(height) - 8
        let r = range
        func x(_ i: Int) -> Double { r.points <= 1 ? (left + right) / 2 : left + (right - left) * Double(i) / Double(r.points - 1) }
        func y(_ v: Double) -> Double { bottom - (bottom - top) * (v - r.low) / (r.high - r.low) }
        let grid = CanvasColor(225, 225, 225), frame = CanvasColor(150, 150, 150)
        for k in 1..<4 {
            let gy = top + (bottom - top) * Double(k) / 4
            segment(&canvas, CanvasPoint(x: left, y: gy), CanvasPoint(x: right, y: gy), width: 1, color: grid)
        }
        for (a, b) in [((left, top), (right, top)), ((right, top), (right, bottom)), ((right, bottom), (left, bottom)), ((left, bottom), (left, top))] {
            segment(&canvas, CanvasPoint(x: a.0, y: a.1), CanvasPoint(x: b.0, y: b.1), width: 1, color: frame)
        }
        for s in series {
            var previous: CanvasPoint?
            for (i, value) in s.values.enumerated() {
                guard let value, value.isFinite else { previous = nil; continue }
                let point = CanvasPoint(x: x(i), y: y(value))
                if let previous { segment(&canvas, previous, point, width: 2, color: s.color) }
                canvas.fillEllipse(center: point, radiusX: 2.5, radiusY: 2.5, paint: .solid(s.color))
                previous = point
            }
        }
        return canvas.image()
    }

    /// A straight line of `width` pixels as a filled quadrilateral.
    func segment(_ canvas: inout Canvas, _ a: CanvasPoint, _ b: CanvasPoint, width: Double, color: CanvasColor) {
        let dx = b.x - a.x, dy = b.y - a.y, length = (dx * dx + dy * dy).squareRoot()
        guard length > 0 else { return }
        let nx = -dy / length * width / 2, ny = dx / length * width / 2
        canvas.fill([CanvasPoint(x: a.x + nx, y: a.y + ny), CanvasPoint(x: b.x + nx, y: b.y + ny),
                     CanvasPoint(x: b.x - nx, y: b.y - ny), CanvasPoint(x: a.x - nx, y: a.y - ny)], paint: .solid(color))
    }
}
