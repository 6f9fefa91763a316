import Foundation
import S2IGANTensor
import S2IGANVision

/// The attributes of a spoken-flowers picture that can be read back from its pixels.
public enum FlowerAttribute: String, Sendable, CaseIterable, Codable {
    case color = "petal colour"
    case petals = "petal count"
    case center = "centre colour"
    case size = "flower size"
    case backdrop = "background"

    /// Whether `caption` states this attribute (every caption names the petal colour; the others only in some
    /// phrasings). A generator can only be asked for what its caption says.
    public func isMentioned(in caption: String, of flower: Flower) -> Bool {
        let words = Set(caption.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init))
        switch self {
        case .color: return words.contains(flower.color.name)
        case .petals: return words.contains(FlowerDesign.numberWords[flower.petals] ?? "\(flower.petals)")
        case .center: return words.contains("center") || words.contains("middle")
        case .size: return words.contains(flower.size.name)
        case .backdrop: return words.contains("background") || words.contains("leaves")
        }
    }

    /// The flower's value of this attribute, as text.
    public func value(of flower: Flower) -> String {
        switch self {
        case .color: return flower.color.name
        case .petals: return "\(flower.petals)"
        case .center: return flower.center.name
        case .size: return flower.size.name
        case .backdrop: return flower.backdrop.name
        }
    }

    /// The measured value of this attribute, as text (nil when it could not be measured).
    public func value(of measured: MeasuredFlower) -> String? {
        switch self {
        case .color: return measured.color?.name
        case .petals: return measured.petals.map { "\($0)" }
        case .center: return measured.center?.name
        case .size: return measured.size?.name
        case .backdrop: return measured.backdrop?.name
        }
    }

    /// How many values the attribute takes in the renderer (a uniform guess is right once in this many).
    public var valueCount: Int {
        switch self {
        case .color: return FlowerColor.allCases.count
        case .petals: return FlowerDesign.petalCounts.count
        case .center: return CenterColor.allCases.count
        case .size: return FlowerSize.allCases.count
        case .backdrop: return Backdrop.allCases.count
        }
    }
}

/// What ``FlowerMeasurement`` read from a picture; nil where the picture did not show the attribute.
public struct MeasuredFlower: Sendable, Equatable, Codable {
    public var color: FlowerColor?
    public var petals: Int?
    public var center: CenterColor?
    public var size: FlowerSize?
    public var backdrop: Backdrop?

    public init(color: FlowerColor? = nil, petals: Int? = nil, center: CenterColor? = nil, size: FlowerSize? = nil, backdrop: Backdrop? = nil) {
        (self.color, self.petals, self.center, self.size, self.backdrop) = (color, petals, center, size, backdrop)
    }

    /// Whether the measured value equals the flower's.
    public func matches(_ flower: Flower, on attribute: FlowerAttribute) -> Bool {
        attribute.value(of: self) == attribute.value(of: flower)
    }
}

/// Reads a flower's attributes back from pixels, with no learned model: every pixel is matched to the
/// nearest of the colours the renderer paints with (``FlowerRenderer``), within a distance of 48 of 255 per
/// channel.
///
/// - petal colour: the petal colour matched by the most pixels;
/// - background: the background matched by the most pixels (its two gradient tones, their mix and its leaf
///   shades);
/// - flower size: the 97th percentile of the petal pixels' distances from their centroid, as a fraction of the
///   side, against the midpoints between the renderer's three tip radii;
/// - centre colour: the centre colour matched by the most pixels within 0.2 tip radii of the petal centroid,
///   each pixel matched among the centre colours only;
/// - petal count: the number of separate petal-coloured arcs on circles of 0.7, 0.78 and 0.86 tip radii
///   around the centroid, where neighbouring petals no longer touch (arcs under 4° dropped); the most frequent
///   of the three counts, the larger on a tie.
///
/// The measurement is checked on rendered pictures, where the truth is known (`SpokenFlowersTests`); the demo
/// reports its accuracy on the real test images beside that on generated ones.
public enum FlowerMeasurement {
    enum Owner: Equatable {
        case petal(Int), backdrop(Int), center(Int), other
    }

    struct Reference {
        var r: Float, g: Float, b: Float
        var owner: Owner
    }

    static let limit: Float = 48 * 48

    static let references: [Reference] = {
        func entry(_ c: CanvasColor, _ owner: Owner) -> Reference {
            Reference(r: Float(c.red * 255), g: Float(c.green * 255), b: Float(c.blue * 255), owner: owner)
        }
        var list: [Reference] = []
        for color in FlowerColor.allCases {
            for shade in [color.paint.scaled(0.78), color.paint.scaled(0.89), color.paint, color.paint.mixed(with: .white, 0.12)] {
                list.append(entry(shade, .petal(color.rawValue)))
            }
        }
        for backdrop in Backdrop.allCases {
            let (top, bottom) = backdrop.tones
            let leaf = bottom.mixed(with: CanvasColor(60, 120, 50), 0.35)
            for c in [top, bottom, top.mixed(with: bottom, 0.5), leaf.scaled(0.65), leaf, leaf.scaled(1.3)] {
                list.append(entry(c, .backdrop(backdrop.rawValue)))
            }
        }
        list += centerReferences
        list.append(entry(CanvasColor(58, 112, 40), .other))
        return list
    }()

    static let centerReferences: [Reference] = {
        var list: [Reference] = []
        for center in CenterColor.allCases {
            let shades: [CanvasColor] = [center.paint.mixed(with: .white, 0.25), center.paint.scaled(0.72), center.paint.scaled(0.5)]
            for c in shades {
                list.append(Reference(r: Float(c.red * 255), g: Float(c.green * 255), b: Float(c.blue * 255), owner: .center(center.rawValue)))
            }
        }
        return list
    }()

    /// The nearest reference's owner within the distance limit, or nil.
    static func owner(_ r: Float, _ g: Float, _ b: Float, among list: [Reference]) -> Owner? {
        var best = Float.infinity, owner = Owner.other
        for ref in list {
            let dr: Float = r - ref.r, dg: Float = g - ref.g, db: Float = b - ref.b
            let d: Float = dr * dr + dg * dg + db * db
            if d < best { (best, owner) = (d, ref.owner) }
        }
        return best < limit ? owner : nil
    }

    /// Every attribute measurable in `image`.
    public static func measure(_ image: RGBImage) -> MeasuredFlower {
        let w = image.width, h = image.height, count = w * h
        var owners = [Owner?](repeating: nil, count: count)
        var petalVotes = [Int](repeating: 0, count: FlowerColor.allCases.count)
        var backdropVotes = [Int](repeating: 0, count: Backdrop.allCases.count)
        let list = references
        image.pixels.withUnsafeBufferPointer { pixels in
            for i in 0..<count {
                let o = owner(Float(pixels[3 * i]), Float(pixels[3 * i + 1]), Float(pixels[3 * i + 2]), among: list)
                owners[i] = o
                switch o {
                case .petal(let c): petalVotes[c] += 1
                case .backdrop(let b): backdropVotes[b] += 1
                default: break
                }
            }
        }
        var result = MeasuredFlower()
        if let b = backdropVotes.indices.max(by: { backdropVotes[$0] < backdropVotes[$1] }), backdropVotes[b] > 0 {
            result.backdrop = Backdrop(rawValue: b)
        }
        guard let top = petalVotes.indices.max(by: { petalVotes[$0] < petalVotes[$1] }), petalVotes[top] > 0 else { return result }
        result.color = FlowerColor(rawValue: top)

        // Geometry from the pixels of the measured petal colour.
        let isPetal = owners.map { $0 == .petal(top) }
        let petalCount = petalVotes[top]
        guard petalCount >= max(8, count / 400) else { return result }
        var sx = 0.0, sy = 0.0
        for i in 0..<count where isPetal[i] { sx += Double(i % w); sy += Double(i / w) }
        let cx = sx / Double(petalCount), cy = sy / Double(petalCount)
        var distances: [Double] = []
        distances.reserveCapacity(petalCount)
        for i in 0..<count where isPetal[i] {
            let dx = Double(i % w) - cx, dy = Double(i / w) - cy
            distances.append((dx * dx + dy * dy).squareRoot())
        }
        distances.sort()
        let tip = distances[min(distances.count - 1, Int(0.97 * Double(distances.count)))]
        let side = Double(min(w, h))
        let radii = FlowerSize.allCases.map(\.radius)
        let relative = tip / side
        result.size = relative < (radii[0] + radii[1]) / 2 ? .small : relative < (radii[1] + radii[2]) / 2 ? .medium : .large

        // Centre colour: the centre colours only, near the centroid.
        var centerVotes = [Int](repeating: 0, count: CenterColor.allCases.count)
        let disc = 0.2 * tip
        let centers = centerReferences
        image.pixels.withUnsafeBufferPointer { pixels in
            let x0 = max(0, Int(cx - disc)), x1 = min(w - 1, Int(cx + disc) + 1)
            let y0 = max(0, Int(cy - disc)), y1 = min(h - 1, Int(cy + disc) + 1)
            guard x0 <= x1, y0 <= y1 else { return }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    guard dx * dx + dy * dy <= disc * disc else { continue }
                    let p = 3 * (y * w + x)
                    if case .center(let c)? = owner(Float(pixels[p]), Float(pixels[p + 1]), Float(pixels[p + 2]), among: centers) {
                        centerVotes[c] += 1
                    }
                }
            }
        }
        if let c = centerVotes.indices.max(by: { centerVotes[$0] < centerVotes[$1] }), centerVotes[c] > 0 {
            result.center = CenterColor(rawValue: c)
        }

        // Petal count: petal-coloured arcs on three circles.
        let samples = 720, shortest = samples / 90
        var counts: [Int] = []
        for fraction in [0.7, 0.78, 0.86] {
            let r = fraction * tip
            let on = (0..<samples).map { k -> Bool in
                let angle = 2 * Double.pi * Double(k) / Double(samples)
                let x = Int((cx + r * cos(angle)).rounded()), y = Int((cy + r * sin(angle)).rounded())
                guard x >= 0, x < w, y >= 0, y < h else { return false }
                return isPetal[y * w + x]
            }
            guard let start = on.firstIndex(of: false) else { continue }
            var arcs = 0, run = 0
            for step in 1...samples {
                if on[(start + step) % samples] { run += 1 } else {
                    if run >= shortest { arcs += 1 }
                    run = 0
                }
            }
            counts.append(arcs)
        }
        var tally: [Int: Int] = [:]
        for c in counts { tally[c, default: 0] += 1 }
        if let best = tally.max(by: { ($0.value, $0.key) < ($1.value, $1.key) }), best.key > 0 { result.petals = best.key }
        return result
    }
}
