import Foundation
import S2IGANTensor
import S2IGANVision

/// Draws a ``Flower`` on a square canvas: a gradient background with leaves and a stem, the petals (each
/// with a darker rim and shaded from base to tip) around a shaded centre with a ring of seeds. The
/// continuous parameters — position, size jitter, rotation, colour jitter, leaves — come from the flower's
/// `drawingSeed`, so a flower always renders to the same pixels.
public enum FlowerRenderer {
    /// Points on each petal outline.
    static let outlinePoints = 72

    /// The flower at `size` × `size` pixels.
    /// - Throws: for a size below 16 pixels.
    public static func render(_ flower: Flower, size: Int) throws -> RGBImage {
        guard size >= 16 else { throw DatasetError.invalidOption("spoken-flowers: image size \(size) is below 16 pixels") }
        var rng = RandomGenerator(seed: flower.drawingSeed)
        let side = Double(size)
        func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * rng.nextDouble() }

        let tones = flower.backdrop.tones
        var canvas = try Canvas(width: size, height: size)
        canvas.fillAll(.linear(from: CanvasPoint(x: 0, y: 0), start: tones.top.scaled(uniform(0.92, 1.08)),
                               to: CanvasPoint(x: 0, y: side), end: tones.bottom.scaled(uniform(0.92, 1.08))))
        for _ in 0..<(4 + rng.nextInt(below: 4)) {
            let leaf = CanvasPoint(x: uniform(0, side), y: uniform(0, side))
            let shade = tones.bottom.mixed(with: CanvasColor(60, 120, 50), 0.35).scaled(uniform(0.65, 1.3))
            canvas.fillEllipse(center: leaf, radiusX: uniform(0.12, 0.26) * side, radiusY: uniform(0.03, 0.06) * side,
                               rotation: uniform(0, .pi), paint: .solid(shade), opacity: 0.85)
        }

        let center = CanvasPoint(x: side * (0.5 + uniform(-0.12, 0.12)), y: side * (0.5 + uniform(-0.12, 0.12)))
        let radius = flower.size.radius * side * uniform(0.93, 1.07)
        let stemWidth = max(1.5, 0.022 * side), stemEnd = CanvasPoint(x: center.x + uniform(-0.15, 0.15) * side, y: side + 1)
        let stemColour = CanvasColor(58, 112, 40).scaled(uniform(0.85, 1.1))
        canvas.fill([CanvasPoint(x: center.x - stemWidth / 2, y: center.y), CanvasPoint(x: center.x + stemWidth / 2, y: center.y),
                     CanvasPoint(x: stemEnd.x + stemWidth / 2, y: stemEnd.y), CanvasPoint(x: stemEnd.x - stemWidth / 2, y: stemEnd.y)],
                    paint: .solid(stemColour))

        let brightness = uniform(0.92, 1.04)
        let petalColour = CanvasColor(red: flower.color.paint.red * brightness + uniform(-0.03, 0.03),
                                      green: flower.color.paint.green * brightness + uniform(-0.03, 0.03),
                                      blue: flower.color.paint.blue * brightness + uniform(-0.03, 0.03))
        let rotation = uniform(0, 2 * .pi)
        let n = flower.petals
        let base = 0.1 * radius
        let rim = max(0.8, side / 220)
        for k in 0..<n {
            let angle = rotation + 2 * .pi * Double(k) / Double(n) + uniform(-0.06, 0.06)
            let length = (radius - base) * uniform(0.95, 1.04)
            let halfLength = length / 2
            let chord = (base + halfLength) * sin(.pi / Double(n))
            let halfWidth = chord * [0.95, 1.2, 0.9, 0.42][flower.shape.rawValue]
            let axisStart = CanvasPoint.polar(center: center, radius: base, angle: angle)
            let tip = CanvasPoint.polar(center: center, radius: base + length, angle: angle)
            let outline = petal(flower.shape, center: center, angle: angle, offset: base + halfLength,
                                halfLength: halfLength + rim, halfWidth: halfWidth + rim)
            canvas.fill(outline, paint: .solid(petalColour.scaled(0.55)))
            let body = petal(flower.shape, center: center, angle: angle, offset: base + halfLength,
                             halfLength: halfLength, halfWidth: halfWidth)
            canvas.fill(body, paint: .linear(from: axisStart, start: petalColour.scaled(0.78),
                                             to: tip, end: petalColour.mixed(with: .white, 0.12)))
        }

        let disc = radius * uniform(0.17, 0.23)
        let centreColour = flower.center.paint
        canvas.fillEllipse(center: center, radiusX: disc + rim, radiusY: disc + rim, paint: .solid(centreColour.scaled(0.5)))
        canvas.fillEllipse(center: center, radiusX: disc, radiusY: disc,
                           paint: .radial(center: center, radius: disc, inner: centreColour.mixed(with: .white, 0.25),
                                          outer: centreColour.scaled(0.72)))
        let seeds = 10 + rng.nextInt(below: 7)
        let seedColour = flower.center == .black ? centreColour.mixed(with: .white, 0.3) : centreColour.scaled(0.55)
        for s in 0..<seeds {
            let at = CanvasPoint.polar(center: center, radius: disc * 0.62, angle: rotation + 2 * .pi * Double(s) / Double(seeds))
            canvas.fillEllipse(center: at, radiusX: disc * 0.11, radiusY: disc * 0.11, paint: .solid(seedColour))
        }
        return canvas.image()
    }

    /// A petal outline along direction `angle`, its middle at `offset` from `center`. In the petal's own
    /// frame the outline is an ellipse (rounded, narrow), a lens with sharp ends (pointed), or an ellipse
    /// with a V cut into its tip (notched).
    static func petal(_ shape: PetalShape, center: CanvasPoint, angle: Double, offset: Double, halfLength: Double,
                      halfWidth: Double) -> [CanvasPoint] {
        let c = cos(angle), s = sin(angle)
        return (0..<outlinePoints).map { i in
            let u = 2 * Double.pi * Double(i) / Double(outlinePoints)
            var x = halfLength * cos(u), y = halfWidth * sin(u)
            switch shape {
            case .rounded, .narrow:
                break
            case .pointed:
                y = halfWidth * sin(u) * abs(sin(u))
            case .notched:
                if cos(u) > 0 {
                    let closeness = max(0, 1 - abs(sin(u)) / 0.45)
                    x -= 0.24 * halfLength * closeness * closeness
                }
            }
            let px = offset + x
            return CanvasPoint(x: center.x + px * c - y * s, y: center.y + px * s + y * c)
        }
    }

    /// The petal colour seen in a picture (``FlowerMeasurement``): the petal colour matched by the most pixels,
    /// nil when no pixel matches one. Used to check that generated images show the colour their caption names.
    public static func measuredPetalColor(in image: RGBImage) -> FlowerColor? {
        FlowerMeasurement.measure(image).color
    }
}
