import Foundation
import S2IGANTensor
import Testing
@testable import S2IGANDatasets
import S2IGANFormats

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
        _ = try SplitFiles.write(kind: .places, root: places, testFraction: 0.4, seed: 7, force: true)
        #expect(try SpokenImageDataset.readKeys(places.appendingPathComponent("test/filenames.pickle")) == keys)
        #expect((first.train, first.test) == (3, 2))
        #expect(throws: DatasetError.self) { try SplitFiles.write(kind: .flickr8k, root: places, force: true) }
    }

    /// `--test-keys`: the listed images present form the test split in the list's order (a pickle written with `\`
    /// separators, as the reference's evaluation lists, or a text file); unknown keys are counted, not fatal;
    /// a list naming no image present is a named error.
    @Test func aKeyListChoosesTheTestSplit() throws {
        let places = try Self.copyWithoutSplits("places")
        defer { try? FileManager.default.removeItem(at: places) }
        let all = try SplitFiles.imageKeys(places.appendingPathComponent(DatasetKind.places.imagesPath))
        #expect(all.count == 5)
        let chosen = [all[3], all[0]]
        let list = places.appendingPathComponent("keys.pickle")
        try PickleWriter.write(.list((chosen.map { $0.replacingOccurrences(of: "/", with: "\\") } + ["x\\missing"]).map { .string($0) }), to: list)
        let summary = try SplitFiles.write(kind: .places, root: places, testKeys: list)
        #expect((summary.train, summary.test) == (3, 2) && summary.source.contains("1 listed keys have no image"))
        #expect(try SpokenImageDataset.readKeys(places.appendingPathComponent("test/filenames.pickle")) == chosen)
        #expect(try SpokenImageDataset.readKeys(places.appendingPathComponent("train/filenames.pickle")) == [all[1], all[2], all[4]])
        let text = places.appendingPathComponent("keys.txt")
        try Data((all[2] + "\n\n" + all[2] + "\n").utf8).write(to: text)
        #expect(try SplitFiles.write(kind: .places, root: places, testKeys: text, force: true).test == 1)
        try Data("nothing/here\n".utf8).write(to: text)
        #expect { try SplitFiles.write(kind: .places, root: places, testKeys: text, force: true) } throws: { "\($0)".contains("keys.txt") && "\($0)".contains("none of its 1 keys") }
        try Data().write(to: text)
        #expect { try SplitFiles.write(kind: .places, root: places, testKeys: text, force: true) } throws: { "\($0)".contains("test keys: empty") }
    }

    /// The authors' split files are never replaced without `force`: the call throws naming one, and every
    /// file keeps its bytes (also the ones of the other split, which it would reach later).
    @Test func existingSplitFilesAreKeptWithoutForce() throws {
        let root = try Self.copyWithoutSplits("cub")
        defer { try? FileManager.default.removeItem(at: root) }
        let authors = SplitFiles.files(kind: .cub, root: root)
        #expect(authors.map { "\($0.deletingLastPathComponent().lastPathComponent)/\($0.lastPathComponent)" }
                == ["train/filenames.pickle", "train/class_info.pickle", "test/filenames.pickle", "test/class_info.pickle"])
        // Stand-ins for the authors' files: only the test split's, so that the train split is missing.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("test"), withIntermediateDirectories: true)
        let old = [authors[2]: Data("authors' keys".utf8), authors[3]: Data("authors' classes".utf8)]
        for (url, bytes) in old { try bytes.write(to: url) }
        #expect { try SplitFiles.write(kind: .cub, root: root) } throws: {
            "\($0)".contains(authors[2].path) && "\($0)".contains("already exists") && "\($0)".contains("--force")
        }
        for (url, bytes) in old { #expect(try Data(contentsOf: url) == bytes) }
        #expect(!FileManager.default.fileExists(atPath: authors[0].path), "nothing is written when any split file exists")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("test").path)
        #expect(names.sorted() == ["class_info.pickle", "filenames.pickle"], "no backup without force")
    }

    /// With `force` the split files are replaced and each old one is first copied to `<name>.bak-<date>`, which
    /// holds the old bytes; a second forced run keeps the first backup and makes another.
    @Test func forceKeepsABackupOfTheOldFiles() throws {
        let root = try Self.copyWithoutSplits("cub")
        defer { try? FileManager.default.removeItem(at: root) }
        let keys = root.appendingPathComponent("test/filenames.pickle")
        try FileManager.default.createDirectory(at: keys.deletingLastPathComponent(), withIntermediateDirectories: true)
        let authors = Data("the authors' split".utf8)
        try authors.write(to: keys)
        let summary = try SplitFiles.write(kind: .cub, root: root, force: true)
        #expect(summary.backups.count == 1)
        let backup = try #require(summary.backups.first)
        #expect(backup.deletingLastPathComponent().standardizedFileURL == keys.deletingLastPathComponent().standardizedFileURL)
        #expect(backup.lastPathComponent.hasPrefix("filenames.pickle.bak-"))
        #expect(try Data(contentsOf: backup) == authors)
        #expect(try SpokenImageDataset.readKeys(keys).count == 4, "the new split file replaced the old one")

        let written = try Data(contentsOf: keys)
        let again = try SplitFiles.write(kind: .cub, root: root, force: true)
        #expect(again.backups.count == 4 && !again.backups.contains(backup))
        #expect(try Data(contentsOf: backup) == authors, "an earlier backup is never replaced")
        let second = try #require(again.backups.first { $0.lastPathComponent.hasPrefix("filenames.pickle.bak-") && $0.path.contains("/test/") })
        #expect(try Data(contentsOf: second) == written)
    }

    @Test func backupNamesNeverCollide() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("class_info.pickle")
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let first = SplitFiles.backupURL(for: file, date: date)
        #expect(first.lastPathComponent == "class_info.pickle.bak-20270115-080000")
        try Data().write(to: first)
        #expect(SplitFiles.backupURL(for: file, date: date).lastPathComponent == "class_info.pickle.bak-20270115-080000-2")
    }
}
