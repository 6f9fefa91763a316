import Foundation
import Tensor
import Testing
@testable import Datasets

/// `s2igan dataset splits` on copies of the fixture trees without their pickles.
@Suite struct SplitFilesTests {
    static func copyWithoutSplits(_ tree: String) throws -> URL {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("splits-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtures.url(tree), to: target)
        for split in DatasetSplit.allCases { try? FileManager.default.removeItem(at: target.appendingPathComponent(split.rawValue)) }
        return target
    }

    @Test func cubUsesTheStackGANTestClasses() throws {
        #expect(SplitFiles.cubTestClasses.count == 50 && SplitFiles.oxfordTestClasses.count == 20)
        let root = try Self.copyWithoutSplits("cub")
        defer { try? FileManager.default.removeItem(at: root) }
        let summary = try SplitFiles.write(kind: .cub, root: root)
        #expect((summary.train, summary.test) == (4, 4))
        let test = try SpokenImageDataset.open(kind: .cub, root: root, split: .test)
        // Classes 001 and 004 are StackGAN test classes; 002 and 003 are not.
        #expect(Set(test.items.map(\.classID)) == [1, 4])
        #expect(test.items.map(\.key) == test.items.map(\.key).sorted())
        let train = try SpokenImageDataset.open(kind: .cub, root: root, split: .train)
        #expect(Set(train.items.map(\.classID)) == [2, 3] && train.items.map(\.label).sorted() == [0, 0, 1, 1])
    }

    @Test func flickrUsesTheStandardListsAndPlacesASeededSplit() throws {
        let flickr = try Self.copyWithoutSplits("flickr8k")
        defer { try? FileManager.default.removeItem(at: flickr) }
        let summary = try SplitFiles.write(kind: .flickr8k, root: flickr)
        #expect(summary.source.contains("Flickr8k lists"))
        let original = try SpokenImageDataset.readKeys(fixtures.url("flickr8k/test/filenames.pickle"))
        #expect(try SpokenImageDataset.readKeys(flickr.appendingPathComponent("test/filenames.pickle")) == original)

        let places = try Self.copyWithoutSplits("places")
        defer { try? FileManager.default.removeItem(at: places) }
        let first = try SplitFiles.write(kind: .places, root: places, testFraction: 0.4, seed: 7)
        let keys = try SpokenImageDataset.readKeys(places.appendingPathComponent("test/filenames.pickle"))
        _ = try SplitFiles.write(kind: .places, root: places, testFraction: 0.4, seed: 7)
        #expect(try SpokenImageDataset.readKeys(places.appendingPathComponent("test/filenames.pickle")) == keys)
        #expect((first.train, first.test) == (3, 2))
        #expect(throws: TensorError.self) { try SplitFiles.write(kind: .flickr8k, root: places) }
    }
}
