import Foundation
import TestSupport
import Testing
@testable import Tensor

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
        #expect(throws: TensorError.self) { try nested.stateDict(under: "optimizer") }
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
}
