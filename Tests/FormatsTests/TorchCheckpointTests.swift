import Foundation
import TestSupport
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

/// PyTorch checkpoints written by `torch.save` (Tools/fixtures/make_interop_fixtures.py).
@Suite struct TorchCheckpointTests {
    @Test(arguments: ["state_zip.pth", "state_legacy.pth", "nested_zip.pth"])
    func stateDictsMatchWhatPyTorchSaved(_ name: String) throws {
        let expected = try fixtures.load("interop/state_expected")
        let state = try TorchCheckpoint.read(fixtures.url("interop/\(name)")).stateDict()
        #expect(state.map(\.0) == ["conv1.weight", "conv1.bias", "bn.running_mean", "bn.num_batches_tracked", "fc.weight", "half",
                                   "bf16", "f64", "u8", "flag", "shared_a", "shared_b"])
        let types = Dictionary(uniqueKeysWithValues: state.map { ($0.0, $0.1.scalarType) })
        #expect(types["half"] == .float16 && types["bf16"] == .bfloat16 && types["f64"] == .float64)
        #expect(types["bn.num_batches_tracked"] == .int64 && types["u8"] == .uint8 && types["flag"] == .bool)
        for (key, array) in state {
            // The transposed view (fc.weight) and the two views of one storage come out contiguous and right.
            #expect(array.tensor().isIdentical(to: try expected.tensor(key)), "\(name): \(key)")
        }
        let raw = try TorchCheckpoint.read(fixtures.url("interop/\(name)")).stateDict(stripModulePrefix: false)
        #expect(raw.first?.0 == "module.conv1.weight")
    }

    @Test func parametersAndNestedDicts() throws {
        let expected = try fixtures.load("interop/state_expected")
        let parameter = try TorchCheckpoint.read(fixtures.url("interop/parameter_zip.pth")).stateDict()
        #expect(parameter.count == 1 && parameter[0].0 == "w")
        #expect(parameter[0].1.tensor().isIdentical(to: try expected.tensor("w")))
        let nested = try TorchCheckpoint.read(fixtures.url("interop/nested_zip.pth"))
        #expect(nested.root["epoch"] == .int(3))
        #expect(try nested.stateDict(under: "state_dict").count == 12)
        #expect(throws: FormatError.self) { try nested.stateDict(under: "optimizer") }
    }

    @Test func damagedCheckpointsFailClearly() throws {
        let good = try Data(contentsOf: fixtures.url("interop/state_zip.pth"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pth-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func reason(_ bytes: Data) -> String {
            let url = dir.appendingPathComponent("bad.pth")
            do {
                try bytes.write(to: url)
                _ = try TorchCheckpoint.read(url)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(reason(good.prefix(good.count / 2)).contains("end-of-central-directory"))
        #expect(reason(Data("not a checkpoint at all".utf8)).contains("magic number missing"))
        let legacy = try Data(contentsOf: fixtures.url("interop/state_legacy.pth"))
        #expect(reason(legacy.prefix(legacy.count - 10)).contains("runs past the end"))
        // Every truncation of a checkpoint is an error, never a crash.
        for cut in Swift.stride(from: 0, to: legacy.count, by: 97) { #expect(reason(legacy.prefix(cut)) != "no error") }
        for cut in Swift.stride(from: 0, to: good.count, by: 211) { #expect(reason(good.prefix(cut)) != "no error") }
    }

    /// A bit flipped inside a stored tensor changes no structure, only values; the member's CRC-32 catches it.
    @Test func aFlippedBitInAStoredTensorIsAnError() throws {
        let good = try Data(contentsOf: fixtures.url("interop/state_zip.pth"))
        let archive = try ZipArchive(good, path: "state_zip.pth")
        let member = try #require(archive.names.first { $0.contains("/data/") })
        let range = try #require(archive.entries[member]?.range)
        #expect(range.count >= 4)
        var flipped = good
        flipped[range.lowerBound + range.count / 2] ^= 0x10
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pth-crc-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("flipped.pth")
        try flipped.write(to: url)
        let error = try #require(throws: FormatError.self) { try TorchCheckpoint.read(url).stateDict() }
        let text = "\(error)"
        #expect(text.contains("flipped.pth") && text.contains("'\(member)' is corrupt") && text.contains("CRC-32"), "\(text)")
        // The same archive unflipped reads, so the check is not simply refusing the file.
        #expect(try TorchCheckpoint.read(fixtures.url("interop/state_zip.pth")).stateDict().count > 0)
    }

    /// The standard CRC-32 check value (the CRC of the nine bytes "123456789") and the empty input.
    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(ZipArchive.crc32(of: Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(ZipArchive.crc32(of: Data()) == 0)
    }
}

/// Budgets and hostile archives: each is an error naming the file.
@Suite struct ResourceLimitTests {
    /// A zip with one deflated member `name` whose central directory declares `uncompressed` bytes.
    static func zip(member name: String, deflated: [UInt8], uncompressed: UInt32, localOffset: UInt32 = 0, zip64Offset: UInt64? = nil) -> Data {
        func le(_ v: UInt32, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        let extra = zip64Offset.map { offset in le(1, 2) + le(8, 2) + (0..<8).map { UInt8(truncatingIfNeeded: offset >> (8 * UInt64($0))) } } ?? []
        let localOffset = zip64Offset == nil ? localOffset : 0xFFFF_FFFF
        let nameBytes = Array(name.utf8)
        let local = le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(8, 2) + le(0, 4) + le(0, 4)
            + le(UInt32(deflated.count), 4) + le(uncompressed, 4) + le(UInt32(nameBytes.count), 2) + le(0, 2) + nameBytes + deflated
        let central = le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(8, 2) + le(0, 4) + le(0, 4)
            + le(UInt32(deflated.count), 4) + le(uncompressed, 4) + le(UInt32(nameBytes.count), 2) + le(UInt32(extra.count), 2) + le(0, 2)
            + le(0, 2) + le(0, 2) + le(0, 4) + le(localOffset, 4) + nameBytes + extra
        let end = le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(1, 2) + le(1, 2) + le(UInt32(central.count), 4)
            + le(UInt32(local.count), 4) + le(0, 2)
        return Data(local + central + end)
    }

    @Test func inflatedMembersHaveABudget() throws {
        // 4 GB declared (an 8 MB .pth whose member inflates to 1 GiB and more): refused before inflating.
        let archive = try ZipArchive(Self.zip(member: "archive/data/0", deflated: [3, 0], uncompressed: 0xFFFF_FFF0), path: "bomb.pth")
        let error = try #require(throws: TensorError.self) { try archive.contents("archive/data/0") }
        #expect("\(error)".contains("bomb.pth") && "\(error)".contains("exceeds the limit of 1073741824"), "\(error)")
        #expect("\(error)".contains("S2IGAN_MAX_DECOMPRESSED_BYTES"))
        // Within the budget the same member inflates ([3, 0] is an empty deflate stream).
        #expect(try ZipArchive(Self.zip(member: "m", deflated: [3, 0], uncompressed: 0), path: "ok.zip").contents("m").isEmpty)
        // A local-header offset past the end of the archive is an error.
        #expect(throws: FormatError.self) { try ZipArchive(Self.zip(member: "m", deflated: [3, 0], uncompressed: 0, localOffset: 0xFFFF_FFFE), path: "x.zip") }
        // A ZIP64 offset next to Int.max: an error, not an overflow trap while reading the record there.
        let far = try #require(throws: FormatError.self) {
            try ZipArchive(Self.zip(member: "m", deflated: [3, 0], uncompressed: 0, zip64Offset: UInt64(Int.max - 1)), path: "far.zip")
        }
        #expect("\(far)".contains("runs past the end"), "\(far)")
    }

    @Test func budgetsComeFromTheEnvironment() {
        let limits = ResourceLimits.fromEnvironment(["S2IGAN_MAX_IMAGE_PIXELS": "1000", "S2IGAN_MAX_AUDIO_SAMPLES": "-5"])
        #expect(limits.imagePixels == 1000)
        #expect(limits.audioSamples == ResourceLimits().audioSamples)
        #expect(ResourceLimits.environmentProblems(["S2IGAN_MAX_AUDIO_SAMPLES": "-5"]) == ["S2IGAN_MAX_AUDIO_SAMPLES='-5' is not a positive integer"])
        #expect(ResourceLimits.environmentProblems([:]).isEmpty)
    }
}
