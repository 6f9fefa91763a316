import Foundation
import S2IGANTensor

/// A point on a ``Canvas``: `x` to the right, `y` down, in pixels; pixel `(i, j)` covers `[i, i+1) × [j, j+1)`.
public struct CanvasPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) { (self.x, self.y) = (x, y) }

    /// The point at `radius` from `center` in direction `angle` (radians, clockwise on screen since y is down).
    public static func polar(center: CanvasPoint, radius: Double, angle: Double) -> CanvasPoint {
        CanvasPoint(x: center.x + radius * cos(angle), y: center.y + radius * sin(angle))
    }
}

/// A colour with red, green and blue in [0, 1].
public struct CanvasColor: Sendable, Equatable {
    public var red: Double
    public var green: Double
    public var blue: Double

    public init(red: Double, green: Double, blue: Double) { (self.red, self.green, self.blue) = (red, green, blue) }

    /// A colour from 8-bit channel values.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.init(red: Double(red) / 255, green: Double(green) / 255, blue: Double(blue) / 255)
    }

    /// Every channel multiplied by `factor` (darker below 1).
    public func scaled(_ factor: Double) -> CanvasColor {
        CanvasColor(red: red * factor, green: green * factor, blue: blue * factor)
    }

    /// `self` moved a `fraction` of the way towards `other`.
    public func mixed(with other: CanvasColor, _ fraction: Double) -> CanvasColor {
        CanvasColor(red: red + (other.red - red) * fraction, green: green + (other.green - green) * fraction,
                    blue: blue + (other.blue - blue) * fraction)
    }

    public static let white = CanvasColor(red: 1, green: 1, blue: 1)
    public static let black = CanvasColor(red: 0, green: 0, blue: 0)
}

/// How a filled shape is coloured.
public enum Paint: Sendable, Equatable {
    case solid(CanvasColor)
    /// A linear gradient from `start` at `from` to `end` at `to`, constant beyond the two points.
    case linear(from: CanvasPoint, start: CanvasColor, to: CanvasPoint, end: CanvasColor)
    /// A radial gradient from `inner` at `center` to `outer` at `radius` and beyond.
    case radial(center: CanvasPoint, radius: Double, inner: CanvasColor, outer: CanvasColor)
}

/// A small anti-aliased rasteriser: filled polygons and ellipses with solid or gradient paint, composited
/// in drawing order. Coverage is exact horizontally and sampled on five sub-scanlines per row, so edges are
/// smooth at any angle. The canvas holds linear channel values in [0, 1]; ``image()`` rounds them to bytes.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// `height · width · 3` channel values, rows top to bottom, channels interleaved.
    private var values: [Float]

    /// Sub-scanlines per pixel row.
    private static let subScanlines = 5

    /// A canvas filled with `background`.
    /// - Throws: if either side is not positive.
    public init(width: Int, height: Int, background: CanvasColor = .black) throws {
        guard width > 0, height > 0 else { throw VisionError.invalidSetting("canvas: size \(width)×\(height) must be positive") }
        self.width = width
        self.height = height
        values = [Float](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            values[3 * i] = Float(background.red)
            values[3 * i + 1] = Float(background.green)
            values[3 * i + 2] = Float(background.blue)
        }
    }

    /// Paints the whole canvas (for example with a gradient background).
    public mutating func fillAll(_ paint: Paint) {
        let w = Double(width), h = Double(height)
        fill([CanvasPoint(x: 0, y: 0), CanvasPoint(x: w, y: 0), CanvasPoint(x: w, y: h), CanvasPoint(x: 0, y: h)], paint: paint)
    }

    /// Fills a closed polygon (non-zero winding rule) with `paint` at `opacity`.
    public mutating func fill(_ polygon: [CanvasPoint], paint: Paint, opacity: Double = 1) {
        guard polygon.count >= 3, opacity > 0 else { return }
        let n = polygon.count
        var minY = Double.infinity, maxY = -Double.infinity, minX = Double.infinity, maxX = -Double.infinity
        for p in polygon {
            guard p.x.isFinite, p.y.isFinite else { return }
            minY = min(minY, p.y); maxY = max(maxY, p.y); minX = min(minX, p.x); maxX = max(maxX, p.x)
        }
        let firstRow = max(0, Int(floor(minY))), lastRow = min(height - 1, Int(ceil(maxY)))
        let firstColumn = max(0, Int(floor(minX))), lastColumn = min(width - 1, Int(ceil(maxX)))
        guard firstRow <= lastRow, firstColumn <= lastColumn else { return }
        let span = lastColumn - firstColumn + 1
        var coverage = [Double](repeating: 0, count: span)
        var crossings: [(x: Double, winding: Int)] = []
        crossings.reserveCapacity(8)
        let weight = 1 / Double(Self.subScanlines), alpha = min(1, opacity)
        let right = Double(lastColumn + 1), left = Double(firstColumn)
        for row in firstRow...lastRow {
            for i in 0..<span { coverage[i] = 0 }
            var touched = false
            for s in 0..<Self.subScanlines {
                let sy = Double(row) + (Double(s) + 0.5) * weight
                crossings.removeAll(keepingCapacity: true)
                for e in 0..<n {
                    let p = polygon[e], q = polygon[(e + 1) % n]
                    guard (p.y <= sy) != (q.y <= sy) else { continue }
                    let x = p.x + (sy - p.y) * (q.x - p.x) / (q.y - p.y)
                    crossings.append((x, q.y > p.y ? 1 : -1))
                }
                guard crossings.count >= 2 else { continue }
                crossings.sort { $0.x < $1.x }
                var winding = 0
                for c in 0..<(crossings.count - 1) {
                    winding += crossings[c].winding
                    guard winding != 0 else { continue }
                    let a = max(left, crossings[c].x), b = min(right, crossings[c + 1].x)
                    guard b > a else { continue }
                    touched = true
                    let ia = Int(floor(a)), ib = Int(floor(b))
                    if ia == ib {
                        coverage[ia - firstColumn] += (b - a) * weight
                    } else {
                        coverage[ia - firstColumn] += (Double(ia + 1) - a) * weight
                        if ia + 1 < ib { for x in (ia + 1)..<ib { coverage[x - firstColumn] += weight } }
                        if ib <= lastColumn { coverage[ib - firstColumn] += (b - Double(ib)) * weight }
                    }
                }
            }
            guard touched else { continue }
            for i in 0..<span where coverage[i] > 0 {
                let x = firstColumn + i
                let colour = Self.colour(of: paint, x: Double(x) + 0.5, y: Double(row) + 0.5)
                let a = Float(min(1, coverage[i]) * alpha)
                let o = 3 * (row * width + x)
                values[o] += (Float(colour.red) - values[o]) * a
                values[o + 1] += (Float(colour.green) - values[o + 1]) * a
                values[o + 2] += (Float(colour.blue) - values[o + 2]) * a
            }
        }
    }

    /// Fills an ellipse with semi-axes `radiusX`, `radiusY`, turned by `rotation` radians.
    public mutating func fillEllipse(center: CanvasPoint, radiusX: Double, radiusY: Double, rotation: Double = 0,
                                     paint: Paint, opacity: Double = 1) {
        fill(Self.ellipse(center: center, radiusX: radiusX, radiusY: radiusY, rotation: rotation), paint: paint, opacity: opacity)
    }

    /// The outline of an ellipse as a polygon fine enough that its flat sides are below a tenth of a pixel.
    public static func ellipse(center: CanvasPoint, radiusX: Double, radiusY: Double, rotation: Double = 0) -> [CanvasPoint] {
        let r = max(abs(radiusX), abs(radiusY))
        let segments = max(12, min(720, Int((Double.pi / acos(max(-1, 1 - 0.1 / max(r, 0.1)))).rounded(.up))))
        let c = cos(rotation), s = sin(rotation)
        return (0..<segments).map { k in
            let t = 2 * Double.pi * Double(k) / Double(segments)
            let x = radiusX * cos(t), y = radiusY * sin(t)
            return CanvasPoint(x: center.x + x * c - y * s, y: center.y + x * s + y * c)
        }
    }

    /// The canvas as 8-bit RGB, each value clamped to [0, 1] and rounded.
    public func image() -> RGBImage {
        var bytes = [UInt8](repeating: 0, count: values.count)
        for i in 0..<values.count { bytes[i] = UInt8(max(0, min(255, (values[i] * 255).rounded()))) }
        return RGBImage(checkedWidth: width, height: height, pixels: bytes)
    }

    /// The colour of `paint` at a point.
    private static func colour(of paint: Paint, x: Double, y: Double) -> CanvasColor {
        switch paint {
        case .solid(let c):
            return c
        case .linear(let from, let start, let to, let end):
            let dx = to.x - from.x, dy = to.y - from.y
            let length2 = dx * dx + dy * dy
            guard length2 > 0 else { return start }
            let t = max(0, min(1, ((x - from.x) * dx + (y - from.y) * dy) / length2))
            return start.mixed(with: end, t)
        case .radial(let center, let radius, let inner, let outer):
            guard radius > 0 else { return outer }
            let d = ((x - center.x) * (x - center.x) + (y - center.y) * (y - center.y)).squareRoot()
            return inner.mixed(with: outer, min(1, d / radius))
        }
    }
}
