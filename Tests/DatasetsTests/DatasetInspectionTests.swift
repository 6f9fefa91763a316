import Foundation
import Testing
import S2IGANDatasets

/// `DatasetInspection` (what `s2igan dataset info` prints) on the fixture trees.
@Suite struct DatasetInspectionTests {
    @Test func aGoodTreeIsCountedPerSplit() throws {
        let root = fixtures.url("oxford")
        let inspection = DatasetInspection(kind: .oxford, root: root)
        #expect(inspection.problemCount == 0 && inspection.problems.isEmpty)
        for split in DatasetSplit.allCases {
            let data = try SpokenImageDataset.open(kind: .oxford, root: root, split: split)
            let frames = data.items.flatMap(\.captionFrames)
            let r = try #require(inspection.splits[split])
            #expect(r.images == data.count && r.captionsPerImage == data.captionsPerImage && r.captions == frames.count)
            #expect(r.classes == Set(data.items.map(\.classID)).count && r.classes > 0)
            #expect(r.frames.min == frames.min() && r.frames.max == frames.max())
            #expect(abs(r.frames.mean - Double(frames.reduce(0, +)) / Double(frames.count)) < 1e-9)
        }
        let json = inspection.jsonObject
        #expect(json["dataset"] as? String == "oxford" && json["root"] as? String == root.path && json["problems"] == nil)
        let train = try #require(json["train"] as? [String: Any])
        #expect(train["images"] as? Int == inspection.splits[.train]?.images && (train["frames"] as? [String: Any])?["mean"] is Double)
        #expect(JSONSerialization.isValidJSONObject(json))
    }

    /// A split that cannot be opened has only problems; a missing root is a problem of each split, never a throw.
    @Test func problemsAreCollectedNotThrown() throws {
        let bad = DatasetInspection(kind: .oxford, root: fixtures.url("bad_everything"), checkImages: false)
        let train = try #require(bad.splits[.train])
        #expect(train.images == nil && train.problems.contains { $0.contains("class_info.pickle lists 5 classes for 6 images") })
        #expect(bad.problemCount >= train.problems.count && (bad.jsonObject["train"] as? [String: Any])?.keys.sorted() == ["problems"])
        let absent = DatasetInspection(kind: .spokenFlowers, root: fixtures.url("no-such-tree"))
        #expect(absent.splits.values.allSatisfy { $0.images == nil && $0.problems.count == 1 })
        // The built-in dataset's manifest is missing too: a problem of the whole.
        #expect(absent.problems.count == 1 && absent.problemCount == 3 && absent.jsonObject["problems"] != nil)
    }
}
