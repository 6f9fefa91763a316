import S2IGANAudio
import Foundation
import S2IGANFormats
import S2IGANTensor
import TestSupport
import Testing
import S2IGANVision
@testable import S2IGANDatasets

@Suite(.serialized) struct SpokenFlowersTests {
    func tiny(seed: UInt64 = 0) -> SpokenFlowersOptions {
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize, options.seed) = (5, 2, 2, 64, seed)
        return options
    }

    @Test func classesAreDisjointAndTestAttributesOccurInTraining() throws {
        for count in 3...28 {
            let classes = try FlowerDesign.classes(count: count)
            #expect(classes.map(\.id) == Array(1...count))
            #expect(Set(classes.map { "\($0.color) \($0.petals)" }).count == count, "combinations repeat at \(count)")
            let train = classes.filter { $0.split == .train }, test = classes.filter { $0.split == .test }
            #expect(!test.isEmpty && test.count == max(1, Int((Double(count) * 0.2).rounded())), "\(count) classes")
            for t in test {
                #expect(train.contains { $0.color == t.color } && train.contains { $0.petals == t.petals }, "\(count): \(t)")
            }
        }
        #expect(Set(try FlowerDesign.classes(count: 28).map(\.color)).count == FlowerColor.allCases.count)
        #expect(throws: DatasetError.self) { try FlowerDesign.classes(count: 2) }
        #expect(throws: DatasetError.self) { try FlowerDesign.classes(count: 29) }
    }

    @Test func captionsDescribeTheirFlower() throws {
        let plan = try SpokenFlowers.plan(SpokenFlowersOptions())
        #expect(plan.images.count == 20 * 24)
        var countMentions = 0, total = 0
        for image in plan.images {
            #expect(image.captions.count == 5 && Set(image.captions).count == 5)
            #expect(image.flower.classID == Int(image.key.dropFirst(6).prefix(5)))
            for caption in image.captions {
                total += 1
                #expect(caption.contains(image.flower.color.name), "\(caption)")
                if caption.contains(FlowerDesign.numberWords[image.flower.petals]!) { countMentions += 1 }
                for other in FlowerColor.allCases where other != image.flower.color {
                    #expect(!caption.split(separator: " ").contains(Substring(other.name)) || other.name == image.flower.center.name
                           , "\(caption) names \(other)")
                }
                if caption.contains("center") || caption.contains("middle") { #expect(caption.contains(image.flower.center.name)) }
                let padded = " " + caption.replacingOccurrences(of: ",", with: "") + " "
                let shapeWords = PetalShape.allCases.flatMap(\.words).filter { padded.contains(" \($0) ") }
                #expect(shapeWords.allSatisfy(image.flower.shape.words.contains), "\(caption)")
            }
        }
        #expect(Double(countMentions) / Double(total) > 0.75)
    }

    @Test func renderedPetalColourIsTheClassColour() throws {
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass) = (28, 3)
        let plan = try SpokenFlowers.plan(options)
        for image in plan.images {
            let picture = try FlowerRenderer.render(image.flower, size: 96)
            #expect(FlowerRenderer.measuredPetalColor(in: picture) == image.flower.color, "\(image.key)")
        }
        // A picture with no flower colour in it has no petal colour.
        #expect(FlowerRenderer.measuredPetalColor(in: RGBImage(width: 8, height: 8, fill: (30, 60, 30))) == nil)
    }

    /// The pixel measurement of every attribute on rendered pictures, where the truth is known, at the
    /// generator's first two sizes. Its accuracy here is the ceiling for generated images.
    @Test func measurementReadsTheRenderedAttributesBack() throws {
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass) = (28, 3)
        let plan = try SpokenFlowers.plan(options)
        var correct: [FlowerAttribute: Int] = [:]
        var total = 0
        for size in [64, 128] {
            for image in plan.images {
                let measured = FlowerMeasurement.measure(try FlowerRenderer.render(image.flower, size: size))
                total += 1
                for attribute in FlowerAttribute.allCases where measured.matches(image.flower, on: attribute) { correct[attribute, default: 0] += 1 }
            }
        }
        let accuracy = Dictionary(uniqueKeysWithValues: FlowerAttribute.allCases.map { ($0, Double(correct[$0] ?? 0) / Double(total)) })
        print("measurement accuracy on \(total) rendered pictures:", accuracy.map { "\($0.key.rawValue) \($0.value)" }.sorted())
        #expect(accuracy[.color]! == 1)
        #expect(accuracy[.backdrop]! >= 0.97)
        #expect(accuracy[.center]! >= 0.9)
        #expect(accuracy[.size]! >= 0.85)
        #expect(accuracy[.petals]! >= 0.85)
        // A flat picture in one background colour: a background, no flower.
        let flat = FlowerMeasurement.measure(RGBImage(width: 16, height: 16, fill: (22, 58, 30)))
        #expect(flat == MeasuredFlower(backdrop: .darkGreen))
    }

    @Test func captionsMentionTheirAttributes() throws {
        let flower = Flower(classID: 1, color: .pink, petals: 5, shape: .pointed, center: .brown, size: .small, backdrop: .grey, drawingSeed: 1)
        let caption = "a small pink flower with five petals in front of grey leaves"
        #expect(FlowerAttribute.color.isMentioned(in: caption, of: flower))
        #expect(FlowerAttribute.petals.isMentioned(in: caption, of: flower))
        #expect(FlowerAttribute.size.isMentioned(in: caption, of: flower))
        #expect(FlowerAttribute.backdrop.isMentioned(in: caption, of: flower))
        #expect(!FlowerAttribute.center.isMentioned(in: caption, of: flower))
        #expect(!FlowerAttribute.petals.isMentioned(in: "a pink flower with six petals", of: flower))
    }

    @Test func buildWritesAnOxfordLayoutTheReadersOpen() throws {
        let root = temporaryRoot("flowers"), twin = temporaryRoot("flowers"), reseeded = temporaryRoot("flowers")
        defer { for r in [root, twin, reseeded] { try? FileManager.default.removeItem(at: r) } }
        let summary = try SpokenFlowers.build(tiny(), root: root, workers: 2)
        #expect(summary.trainClasses == 4 && summary.testClasses == 1 && summary.trainImages == 8 && summary.testImages == 2)
        #expect(summary.imagesDrawn == 10 && summary.captionsSpoken == 20)
        let manifest = try SpokenFlowers.readManifest(root: root)
        #expect(manifest.options == tiny() && manifest.engine.hasPrefix("espeak-ng"))
        #expect(manifest.images == (try SpokenFlowers.plan(tiny())).images)
        for split in DatasetSplit.allCases {
            let data = try SpokenImageDataset.open(kind: .spokenFlowers, root: root, split: split, options: DatasetOptions(checkImages: true))
            let expected = manifest.images.filter { $0.split == split }
            #expect(data.items.map(\.key) == expected.map(\.key))
            #expect(data.items.map(\.classID) == expected.map(\.flower.classID))
            #expect(data.captionsPerImage == 2 && data.problems.isEmpty)
            for item in data.items {
                let picture = try data.image(of: item)
                #expect(picture.width == 64 && picture.height == 64)
                #expect(try data.captions(of: item).allSatisfy { $0.shape[1] == 40 && $0.shape[0] > 50 })
                let texts = try String(contentsOf: root.appendingPathComponent("Oxford102/text_c10/\(item.key).txt"), encoding: .utf8)
                #expect(texts == expected.first { $0.key == item.key }!.captions.joined(separator: "\n") + "\n")
            }
        }
        let trainClasses = Set(try SpokenImageDataset.readClassIDs(root.appendingPathComponent("train/class_info.pickle")))
        let testClasses = Set(try SpokenImageDataset.readClassIDs(root.appendingPathComponent("test/class_info.pickle")))
        #expect(trainClasses.isDisjoint(with: testClasses))

        // Same options elsewhere: the same bytes, audio included (same espeak-ng). Another seed: other data.
        _ = try SpokenFlowers.build(tiny(), root: twin, workers: 1)
        #expect(try files(under: root) == files(under: twin))
        _ = try SpokenFlowers.build(tiny(seed: 9), root: reseeded, workers: 2)
        let a = try files(under: root), b = try files(under: reseeded)
        let jpegs = a.keys.filter { $0.hasSuffix(".jpg") }
        #expect(jpegs.allSatisfy { a[$0] != b[$0] })
        #expect(a.keys.filter { $0.hasSuffix(".txt") }.contains { a[$0] != b[$0] })
    }

    @Test func anInterruptedBuildIsCompletedAndForeignFoldersAreRefused() throws {
        let root = temporaryRoot("flowers"), foreign = temporaryRoot("flowers")
        defer { for r in [root, foreign] { try? FileManager.default.removeItem(at: r) } }
        _ = try SpokenFlowers.build(tiny(), root: root, workers: 2)
        let complete = try files(under: root)
        // What an interruption during the speech stage leaves: no manifest, no split files, a missing wav and features.
        let fm = FileManager.default
        try fm.removeItem(at: root.appendingPathComponent(SpokenFlowers.manifestName))
        try fm.removeItem(at: root.appendingPathComponent("train"))
        try fm.removeItem(at: root.appendingPathComponent("Oxford102/audio/class_00002/image_00003/1.wav"))
        try fm.removeItem(at: root.appendingPathComponent("Oxford102/audio_mel/class_00002/image_00003.npy"))
        try fm.removeItem(at: root.appendingPathComponent("Oxford102/images/class_00001/image_00001.jpg"))
        try Data("{}".utf8).write(to: root.appendingPathComponent(".spoken-flowers-pending.json"))
        #expect(throws: DatasetError.self) { try SpokenFlowers.build(tiny(), root: root) }  // unreadable pending record
        try JSONEncoder().encode(tiny()).write(to: root.appendingPathComponent(".spoken-flowers-pending.json"))
        #expect(throws: FormatError.self) { try SpokenImageDataset.open(kind: .spokenFlowers, root: root, split: .train) }
        let resumed = try SpokenFlowers.build(tiny(), root: root, workers: 2)
        #expect(resumed.imagesDrawn == 1 && resumed.captionsSpoken == 1 && resumed.captionsKept == 19)
        #expect(try files(under: root) == complete)

        #expect(throws: DatasetError.self) { try SpokenFlowers.build(tiny(seed: 1), root: root) }
        try fm.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        #expect(throws: DatasetError.self) { try SpokenFlowers.build(tiny(), root: foreign) }
        var bad = tiny()
        bad.captionsPerImage = 0
        #expect(throws: DatasetError.self) { try SpokenFlowers.build(bad, root: temporaryRoot("flowers")) }
    }
}
