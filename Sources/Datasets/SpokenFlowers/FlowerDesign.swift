import Foundation
import S2IGANTensor
import S2IGANVision

/// Petal colours of the spoken-flowers dataset, far apart in hue and lightness so that a colour can be
/// told from pixels.
public enum FlowerColor: Int, Sendable, CaseIterable, Codable {
    case red, yellow, blue, white, pink, orange, purple

    /// The word captions use.
    public var name: String { String(describing: self) }

    /// The colour petals are painted in (before per-image jitter and shading).
    public var paint: CanvasColor {
        switch self {
        case .red: return CanvasColor(205, 28, 40)
        case .yellow: return CanvasColor(250, 214, 40)
        case .blue: return CanvasColor(58, 92, 215)
        case .white: return CanvasColor(246, 245, 238)
        case .pink: return CanvasColor(244, 140, 186)
        case .orange: return CanvasColor(250, 138, 22)
        case .purple: return CanvasColor(128, 58, 178)
        }
    }
}

/// Petal outlines.
public enum PetalShape: Int, Sendable, CaseIterable, Codable {
    case rounded, pointed, notched, narrow

    /// The words captions use for it.
    public var words: [String] {
        switch self {
        case .rounded: return ["rounded", "round"]
        case .pointed: return ["pointed", "pointy"]
        case .notched: return ["heart shaped", "notched"]
        case .narrow: return ["thin", "narrow"]
        }
    }
}

/// Colours of the flower's centre.
public enum CenterColor: Int, Sendable, CaseIterable, Codable {
    case yellow, brown, black, green

    public var name: String { String(describing: self) }

    public var paint: CanvasColor {
        switch self {
        case .yellow: return CanvasColor(242, 196, 30)
        case .brown: return CanvasColor(118, 68, 28)
        case .black: return CanvasColor(34, 26, 26)
        case .green: return CanvasColor(112, 160, 48)
        }
    }
}

/// How much of the picture the flower fills.
public enum FlowerSize: Int, Sendable, CaseIterable, Codable {
    case small, medium, large

    public var name: String { String(describing: self) }

    /// Petal tip radius as a fraction of the image side.
    var radius: Double { [0.25, 0.32, 0.39][rawValue] }
}

/// Backgrounds: two tones of a vertical gradient with leaves in between.
public enum Backdrop: Int, Sendable, CaseIterable, Codable {
    case darkGreen, lightGreen, brown, grey

    public var name: String {
        switch self {
        case .darkGreen: return "dark green"
        case .lightGreen: return "light green"
        case .brown: return "brown"
        case .grey: return "grey"
        }
    }

    var tones: (top: CanvasColor, bottom: CanvasColor) {
        switch self {
        case .darkGreen: return (CanvasColor(22, 58, 30), CanvasColor(52, 96, 46))
        case .lightGreen: return (CanvasColor(96, 150, 74), CanvasColor(146, 190, 112))
        case .brown: return (CanvasColor(84, 62, 40), CanvasColor(132, 102, 70))
        case .grey: return (CanvasColor(92, 98, 98), CanvasColor(142, 146, 140))
        }
    }
}

/// A class of the spoken-flowers dataset: a petal colour and a petal count. Train and test classes are
/// disjoint, and every colour and count of a test class also occurs in some training class.
public struct FlowerClass: Sendable, Equatable, Codable {
    /// 1-based, as Oxford-102's `class_00001`.
    public var id: Int
    public var color: FlowerColor
    public var petals: Int
    public var split: DatasetSplit

    /// The folder name of the class (`class_00007`).
    public var folder: String { String(format: "class_%05d", id) }
}

extension DatasetSplit: Codable {}

/// One picture's attributes: its class's colour and petal count and the attributes drawn per image.
public struct Flower: Sendable, Equatable, Codable {
    public var classID: Int
    public var color: FlowerColor
    public var petals: Int
    public var shape: PetalShape
    public var center: CenterColor
    public var size: FlowerSize
    public var backdrop: Backdrop
    /// Seeds the continuous drawing parameters (position, rotation, jitter, leaves).
    public var drawingSeed: UInt64
}

/// The design of the spoken-flowers dataset: classes, per-image attributes and caption phrasings.
public enum FlowerDesign {
    /// Petal counts a class can have.
    public static let petalCounts = [4, 5, 6, 8]

    /// The `count` classes: petal colour × petal count combinations in a Latin order (the colours first
    /// cycle through every colour, the counts shift by one per round), about a fifth of them held out for
    /// testing such that each test colour and count also occurs in training.
    /// - Throws: for fewer than 3 classes (no held-out class could share its attributes with training) or
    ///   more than there are combinations.
    public static func classes(count: Int, testFraction: Double = 0.2) throws -> [FlowerClass] {
        let maximum = FlowerColor.allCases.count * petalCounts.count
        guard count >= 3, count <= maximum else {
            throw DatasetError.invalidOption("spoken-flowers: --classes must be between 3 and \(maximum), got \(count)")
        }
        guard testFraction > 0, testFraction < 1 else { throw DatasetError.invalidOption("spoken-flowers: test fraction must be in (0, 1)") }
        let colors = min(FlowerColor.allCases.count, max(2, count / 2))
        let counts = min(petalCounts.count, (count + colors - 1) / colors)
        var classes = (0..<count).map { k -> FlowerClass in
            let c = k % colors, round = k / colors
            return FlowerClass(id: k + 1, color: FlowerColor.allCases[c], petals: petalCounts[(c + round) % counts], split: .train)
        }
        let wanted = max(1, Int((Double(count) * testFraction).rounded()))
        var held = 0
        for k in classes.indices.reversed() where held < wanted {
            let others = classes.enumerated().filter { $0.offset != k && $0.element.split == .train }.map(\.element)
            if others.contains(where: { $0.color == classes[k].color }) && others.contains(where: { $0.petals == classes[k].petals }) {
                classes[k].split = .test
                held += 1
            }
        }
        return classes
    }

    /// The attributes of image `index` of class `flowerClass`, drawn from `rng`.
    public static func flower(of flowerClass: FlowerClass, using rng: inout RandomGenerator) -> Flower {
        Flower(classID: flowerClass.id, color: flowerClass.color, petals: flowerClass.petals,
               shape: PetalShape.allCases[rng.nextInt(below: PetalShape.allCases.count)],
               center: CenterColor.allCases[rng.nextInt(below: CenterColor.allCases.count)],
               size: FlowerSize.allCases[rng.nextInt(below: FlowerSize.allCases.count)],
               backdrop: Backdrop.allCases[rng.nextInt(below: Backdrop.allCases.count)],
               drawingSeed: rng.next())
    }

    /// Caption phrasings in the manner of the Oxford-102 captions. Every one names the petal colour; most
    /// name the petal count.
    static let templates = [
        "this flower has {count} {color} petals and a {center} center",
        "a flower with {shape} {color} petals and a {center} center",
        "this flower has {count} {shape} petals that are {color}",
        "this {size} flower has {count} {color} petals surrounding a {center} center",
        "{count} {color} petals with {shape} tips surround the {center} middle of this flower",
        "a {color} flower with {count} petals",
        "this flower is {color} with {count} {shape} petals",
        "the petals of this flower are {color} and {shape}, and there are {count} of them",
        "a {size} {color} flower with {count} petals in front of {background} leaves",
        "this flower has {shape} {color} petals, {count} in all, and a {center} center",
        "the flower shown has {count} {color} petals around a {center} center",
        "a {color} flower with {count} {shape} petals on a {background} background",
    ]

    static let numberWords = [3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"]

    /// `count` captions of a flower, with distinct phrasings while there are enough.
    public static func captions(of flower: Flower, count: Int, using rng: inout RandomGenerator) -> [String] {
        var order = Array(templates.indices)
        rng.shuffle(&order)
        return (0..<count).map { i in
            var text = templates[order[i % order.count]]
            let shapeWords = flower.shape.words
            let values = ["{count}": numberWords[flower.petals] ?? "\(flower.petals)", "{color}": flower.color.name,
                          "{shape}": shapeWords[rng.nextInt(below: shapeWords.count)], "{center}": flower.center.name,
                          "{size}": flower.size.name, "{background}": flower.backdrop.name]
            for (placeholder, word) in values.sorted(by: { $0.key < $1.key }) {
                text = text.replacingOccurrences(of: placeholder, with: word)
            }
            return text
        }
    }
}
