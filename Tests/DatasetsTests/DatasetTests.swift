import Foundation
import S2IGANTensor
import TestSupport
import Testing
import S2IGANVision
@testable import S2IGANDatasets
import S2IGANFormats

/// Small trees in each reference layout written by Tools/fixtures/make_dataset_fixtures.py (pickles by Python's
/// `pickle`, features by `np.save` of object arrays), described by its manifest.json.
let fixtures = FixtureFolder(besides: #filePath)

struct Manifest {
    let trees: [String: Any]

    init() throws {
        let data = try Data(contentsOf: fixtures.url("manifest.json"))
        trees = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["trees"] as? [String: Any] ?? [:]
    }

    func split(_ tree: String, _ split: DatasetSplit) -> [[String: Any]] {
        (((trees[tree] as? [String: Any])?["splits"] as? [String: Any])?[split.rawValue] as? [String: Any])?["items"] as? [[String: Any]] ?? []
    }

    func faultKeys(_ tree: String) -> Set<String> {
        Set(((trees[tree] as? [String: Any])?["faults"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String })
    }
}

@Suite struct DatasetTests {
    static let trees: [(String, DatasetKind)] = [("cub", .cub), ("oxford", .oxford), ("flickr8k", .flickr8k), ("places", .places)]

    @Test(arguments: trees)
    func layoutsOpenWithKeysClassesLabelsAndCaptions(_ tree: String, _ kind: DatasetKind) throws {
        let manifest = try Manifest()
        for split in DatasetSplit.allCases {
            let dataset = try SpokenImageDataset.open(kind: kind, root: fixtures.url(tree), split: split,
                                                      options: DatasetOptions(checkImages: true))
            let expected = manifest.split(tree, split)
            #expect(dataset.items.map(\.key) == expected.compactMap { $0["key"] as? String }, "\(tree) \(split)")
            #expect(dataset.problems.isEmpty)
            #expect(dataset.captionsPerImage == kind.captionsPerImage)
            for (i, (item, info)) in zip(dataset.items, expected).enumerated() {
                #expect(item.classID == ((info["class_id"] as? Int) ?? i))
                #expect(item.captionFrames == (info["frames"] as? [Any])?.ints)
            }
            // Labels are the ranks of the sorted distinct class ids of the split.
            let ids = Array(Set(dataset.items.map(\.classID))).sorted()
            #expect(dataset.items.allSatisfy { ids[$0.label] == $0.classID })
            let captions = try dataset.captions(of: dataset.items[0])
            #expect(captions.count == kind.captionsPerImage && captions.allSatisfy { $0.shape[1] == 40 })
        }
    }

    @Test func cubImagesAreCroppedAroundTheirBoundingBox() throws {
        let manifest = try Manifest()
        let dataset = try SpokenImageDataset.open(kind: .cub, root: fixtures.url("cub"), split: .train)
        let info = manifest.split("cub", .train)[0]
        let box = try #require((info["bbox"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue }.map { Int($0) })
        let item = dataset.items[0]
        #expect(item.boundingBox == BoundingBox(x: box[0], y: box[1], width: box[2], height: box[3]))
        let full = try RGBImage.read(item.image)
        let crop = try dataset.image(of: item)
        let expected = try full.cropped(to: item.boundingBox!.referenceCrop(imageWidth: full.width, imageHeight: full.height))
        #expect(crop == expected)
    }

    @Test(arguments: ["bad_missing_mel", "bad_short_classes", "bad_nine_captions", "bad_corrupt_jpeg", "bad_width"])
    func brokenTreesAreReported(_ tree: String) throws {
        let options = DatasetOptions(checkImages: true)
        let error = try #require(throws: DatasetError.self) {
            try SpokenImageDataset.open(kind: .oxford, root: fixtures.url(tree), split: .train, options: options)
        }
        #expect(error.problems.count == 1, "\(String(describing: error))")
        let faultKeys = try Manifest().faultKeys(tree)
        #expect(Set(error.problems.compactMap(\.key)) == faultKeys)
        // The test split of the same tree is fine.
        #expect(throws: Never.self) { try SpokenImageDataset.open(kind: .oxford, root: fixtures.url(tree), split: .test, options: options) }
    }

    @Test func everyProblemIsReportedAtOnceAndBadItemsCanBeSkipped() throws {
        var options = DatasetOptions(checkImages: true)
        let error = try #require(throws: DatasetError.self) {
            try SpokenImageDataset.open(kind: .oxford, root: fixtures.url("bad_everything"), split: .train, options: options)
        }
        #expect(error.problems.count == 5)
        #expect(error.description.contains("class_info.pickle lists 5 classes for 6 images") == true)
        // Without a complete class list the split cannot be used even when skipping.
        options.skipBadItems = true
        #expect(throws: DatasetError.self) {
            try SpokenImageDataset.open(kind: .oxford, root: fixtures.url("bad_everything"), split: .train, options: options)
        }
        let skipped = try SpokenImageDataset.open(kind: .oxford, root: fixtures.url("bad_nine_captions"), split: .train, options: options)
        #expect(skipped.count == 5 && skipped.problems.count == 1)
        #expect(!skipped.items.map(\.key).contains("class_00003/image_06610"))
    }

    @Test func missingSplitFilesAreNamed() throws {
        let root = fixtures.url("no-such-tree")
        let error = try #require(throws: FormatError.self) { try SpokenImageDataset.open(kind: .cub, root: root, split: .train) }
        #expect(error.description.contains("filenames.pickle") == true)
        #expect(DatasetKind(name: "birds") == .cub && DatasetKind(name: "flowers") == .oxford && DatasetKind(name: "x") == nil)
    }
}

@Suite struct SamplingAndBatchingTests {
    static func oxford(_ split: DatasetSplit = .train) throws -> SpokenImageDataset {
        try SpokenImageDataset.open(kind: .oxford, root: fixtures.url("oxford"), split: split)
    }

    @Test func senItemsFollowTheReferenceSampling() throws {
        let dataset = try Self.oxford()
        var rng = RandomGenerator(seed: 4)
        let all = try dataset.captions(of: dataset.items[1])
        let training = try dataset.senItem(at: 1, captions: .random, imageSize: 16, using: &rng)
        #expect(training.image.shape == [3, 16, 16])
        #expect(training.captions.count == 1 && training.captions[0].scalars == all[training.captionIndex].scalars)
        let validation = try dataset.senItem(at: 1, captions: .first, imageSize: 16, using: &rng)
        #expect(validation.captionIndex == 0 && validation.captions[0].scalars == all[0].scalars)
        let extraction = try dataset.senItem(at: 1, captions: .all, imageSize: 16, augment: false, using: &rng)
        #expect(extraction.captions.count == 10)
        #expect(training.image.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        // The caption index is uniform over the ten captions.
        var seen = Set<Int>()
        for _ in 0..<200 { seen.insert(try dataset.senItem(at: 0, captions: .random, imageSize: 8, using: &rng).captionIndex) }
        #expect(seen == Set(0..<10))
    }

    @Test func ganItemsHaveAPyramidAWrongAndASimilarImage() throws {
        let dataset = try Self.oxford()
        let embeddings = try (0..<dataset.count).map { i in try Tensor.full([10, 6], value: Float(i)) }
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<30 {
            let item = try dataset.ganItem(at: 2, embeddings: embeddings, sizes: [4, 8, 16], using: &rng)
            #expect(item.images.map(\.shape) == [[3, 4, 4], [3, 8, 8], [3, 16, 16]])
            #expect(item.wrongImages.map(\.shape) == item.images.map(\.shape))
            #expect(item.similarImage.shape == [3, 16, 16])
            #expect(item.embedding.scalars == [Float](repeating: 2, count: 6))
            #expect(item.similarIndex != 2 && dataset.items[item.similarIndex].classID == dataset.items[2].classID)
        }
        // Flickr8k has no classes: the similar image is the anchor itself.
        let flickr = try SpokenImageDataset.open(kind: .flickr8k, root: fixtures.url("flickr8k"), split: .train)
        let table = try (0..<flickr.count).map { _ in try Tensor.zeros([5, 3]) }
        #expect(try flickr.ganItem(at: 1, embeddings: table, sizes: [8], using: &rng).similarIndex == 1)
    }

    /// The wrong image is drawn uniformly and redrawn once if it is of the anchor's class: with a third of the split
    /// in that class, a wrong image of the same class comes up 1/9 of the time (1/3 without the redraw).
    @Test func wrongImagesAreRedrawnOnceWhenOfTheAnchorsClass() throws {
        let dataset = try Self.oxford()
        let embeddings = try (0..<dataset.count).map { _ in try Tensor.zeros([1, 2]) }
        let anchor = 0, classID = dataset.items[anchor].classID
        let share = Double(dataset.items.filter { $0.classID == classID }.count) / Double(dataset.count)
        try #require(abs(share - 1.0 / 3) < 1e-9, "the fixture's class sizes changed")
        var rng = RandomGenerator(seed: 11)
        let draws = 300
        var sameClass = 0
        for _ in 0..<draws {
            let item = try dataset.ganItem(at: anchor, embeddings: embeddings, sizes: [4], using: &rng)
            if dataset.items[item.wrongIndex].classID == classID { sameClass += 1 }
        }
        let rate = Double(sameClass) / Double(draws)
        #expect(rate > 0.04 && rate < 0.19, "same-class wrong images: \(rate), expected about \(share * share)")
    }

    @Test func batchesArePaddedAndSortedByLength() throws {
        let dataset = try Self.oxford()
        var rng = RandomGenerator(seed: 1)
        let items = try (0..<4).map { try dataset.senItem(at: $0, captions: .first, imageSize: 8, using: &rng) }
        let batch = try SENBatch.collate(items)
        let lengths = items.map { $0.captions[0].shape[0] }
        #expect(batch.lengths == lengths.sorted(by: >))
        #expect(batch.captions.shape == [4, lengths.max()!, 40])
        // Each row is its caption followed by zeros; keys moved with their captions.
        for (row, key) in batch.keys.enumerated() {
            let item = try #require(items.first { $0.key == key })
            let padded = try batch.captions.slice(axis: 0, start: row, end: row + 1).squeezed(axis: 0)
            let t = item.captions[0].shape[0]
            #expect(try padded.slice(axis: 0, start: 0, end: t).scalars == item.captions[0].scalars)
            #expect(try padded.slice(axis: 0, start: t).scalars.allSatisfy { $0 == 0 })
        }
        #expect(batch.images.shape == [4, 3, 8, 8])
    }

    @Test func epochOrderIsSeededAndDropsTheLastBatch() throws {
        let order = EpochOrder(count: 10, batchSize: 3, seed: 5)
        #expect(order.batchCount == 3)
        #expect(order.batches(epoch: 0) == order.batches(epoch: 0))
        #expect(order.batches(epoch: 0) != order.batches(epoch: 1))
        #expect(Set(order.batches(epoch: 2).joined()).count == 9)
        #expect(EpochOrder(count: 10, batchSize: 3, shuffle: false, dropLast: false).batches(epoch: 0).last == [9])
    }

    /// Batches made on several threads, consumed slowly or quickly, are the same as made in order.
    @Test func loaderIsDeterministicWhateverTheThreadTiming() throws {
        let dataset = try Self.oxford()
        let order = EpochOrder(count: dataset.count, batchSize: 2, seed: 3)
        let batches = order.batches(epoch: 0)
        let make = { @Sendable (b: Int) throws -> SENBatch in
            try SENBatch.collate(batches[b].map { i in
                var rng = RandomStreams.generator(seed: 3, epoch: 0, index: i)
                return try dataset.senItem(at: i, captions: .random, imageSize: 8, using: &rng)
            })
        }
        let reference = try (0..<batches.count).map(make)
        for workers in [1, 3] {
            let loader = BatchLoader(count: batches.count, workers: workers, prefetch: 2, make: make)
            var got: [SENBatch] = []
            while let batch = try loader.next() {
                got.append(batch)
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(got.map(\.keys) == reference.map(\.keys))
            #expect(got.map(\.captions.scalars) == reference.map(\.captions.scalars))
            #expect(got.map(\.images.scalars) == reference.map(\.images.scalars))
        }
        // Dropping a loader early (a training run that stops) stops its workers at the look-ahead bound.
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var made = 0
            func add() { lock.lock(); made += 1; lock.unlock() }
            var value: Int { lock.lock(); defer { lock.unlock() }; return made }
        }
        let counter = Counter()
        do {
            let early = BatchLoader(count: 1000, workers: 2, prefetch: 2) { @Sendable b -> Int in
                counter.add()
                return b
            }
            #expect(try early.next() == 0)
        }
        Thread.sleep(forTimeInterval: 0.2)
        let made = counter.value
        Thread.sleep(forTimeInterval: 0.2)
        #expect(made <= 5 && counter.value == made, "\(made) batches made after the loader was dropped")
        let failing = BatchLoader(count: 3, workers: 2) { @Sendable b -> Int in
            if b == 1 { throw TensorError.invalidArgument("batch 1 failed") }
            return b
        }
        #expect(try failing.next() == 0)
        #expect(throws: TensorError.self) { try failing.next() }
    }
}

/// Feature files with NaN are refused by name, wherever captions are read (training, `dataset info`).
@Suite struct NonFiniteFeatureTests {
    @Test func captionsWithNaNAreAnError() throws {
        let folder = temporaryRoot("nan-features")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("key.npy")
        var captions = [try Tensor.ones([5, 40]), try Tensor.ones([7, 40])]
        try NPY.writeMatrices(captions, to: url)
        #expect(try SpokenImageDataset.readCaptions(url).count == 2)
        captions[1].withUnsafeMutableBufferPointer { $0[9] = -.infinity }
        try NPY.writeMatrices(captions, to: url)
        let error = try #require(throws: DatasetError.self) { try SpokenImageDataset.readCaptions(url) }
        #expect("\(error)".contains("key.npy") && "\(error)".contains("caption 1 holds NaN or infinite values"), "\(error)")
    }
}

/// Bounding boxes that are not pixel coordinates (NaN, 1e300) are problems of their image, not a trap converting
/// them to integers.
@Suite struct HostileBoundingBoxTests {
    @Test func unusableBoxesAreProblems() throws {
        let root = temporaryRoot("boxes")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(at: fixtures.url("cub"), to: root)
        let file = root.appendingPathComponent("CUB_200_2011/bounding_boxes.txt")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[0] = "1 nan 8.0 1e300 10.0"
        lines[1] = "2 7.0 7.0 -5 15.0"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let whole = try SpokenImageDataset.open(kind: .cub, root: fixtures.url("cub"), split: .train)
        let dataset = try SpokenImageDataset.open(kind: .cub, root: root, split: .train, options: DatasetOptions(skipBadItems: true))
        let problems = dataset.problems.filter { $0.message.contains("is not four pixel coordinates") }
        #expect(problems.count == 2, "\(dataset.problems)")
        #expect(dataset.count == whole.count - 2)
    }
}
