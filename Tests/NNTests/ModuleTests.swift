import TestSupport
import Foundation
import Testing
import S2IGANTensor
import S2IGANAutograd
@testable import S2IGANNN
import S2IGANFormats

/// Module trees with the structure of the fixtures' PyTorch modules.
final class Block: Module {
    let conv1: Conv1d
    let bnorm1: BatchNorm1d
    let fc: Linear
    override init() {
        conv1 = try! Conv1d(40, 64, kernelSize: 6, stride: 2)
        bnorm1 = try! BatchNorm1d(64)
        fc = try! Linear(64, 10, bias: false)
        super.init()
    }
}

final class Outer: Module {
    let blocks = [Block(), Block()]
    let head = Sequential(try! Linear(10, 3), Sigmoid())
}

@Suite struct ModuleTests {
    struct Reference: Decodable {
        let sequential: [[Entry]], nested: [[Entry]]
        let parameters: [String: [String]]
        enum Entry: Decodable {
            case text(String), shape([Int])
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .text(s) } else { self = .shape(try c.decode([Int].self)) }
            }
        }
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.directory.appendingPathComponent("state_dicts.json")))
    }

    static func keysAndShapes(_ entries: [[Reference.Entry]]) -> [String] {
        entries.map { e in
            guard case .text(let k) = e[0], case .shape(let s) = e[1] else { return "?" }
            return "\(k) \(s)"
        }
    }

    static func sequential() throws -> Sequential {
        Sequential(try Conv2d(3, 8, kernelSize: 3, bias: false), try BatchNorm2d(8), LeakyReLU(negativeSlope: 0.2),
                   try Conv2d(8, 4, kernelSize: 4, stride: 2, padding: 1), try Linear(4, 2))
    }

    @Test func stateDictNamesAndShapesAreExactlyPyTorchs() throws {
        let ref = try Self.reference()
        func ours(_ m: Module) -> [String] {
            m.stateDict().map { "\($0.0) \($0.1.shape == [] ? [] : $0.1.shape)" }
        }
        #expect(ours(try Self.sequential()) == Self.keysAndShapes(ref.sequential))
        #expect(ours(Outer()) == Self.keysAndShapes(ref.nested))
        #expect(try Self.sequential().namedParameters().map(\.0) == ref.parameters["sequential"])
        #expect(Outer().namedParameters().map(\.0) == ref.parameters["nested"])
    }

    @Test func savesAndLoadsSafetensorsWithPyTorchTypes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("module-\(UInt64.random(in: 0...UInt64.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let a = Outer()
        a.blocks[0].bnorm1.batchesTracked!.value = Tensor(7)
        try a.save(to: url, metadata: ["epoch": "4"])
        let file = try SafeTensorsFile.read(url)
        #expect(file.arrays["blocks.0.bnorm1.num_batches_tracked"]?.scalarType == .int64)
        let b = Outer()
        #expect(try b.load(from: url) == ["epoch": "4"])
        for ((n1, t1), (n2, t2)) in zip(a.stateDict(), b.stateDict()) {
            #expect(n1 == n2 && t1.isIdentical(to: t2))
        }
    }

    @Test func loadingReportsEveryProblemAndChangesNothing() throws {
        let m = try Self.sequential()
        var dict = Dictionary(uniqueKeysWithValues: m.stateDict())
        let before = m.stateDict()
        dict["0.weight"] = try Tensor.zeros([8, 3, 4, 4])
        dict["4.bias"] = nil
        dict["extra.weight"] = Tensor(1)
        #expect {
            try m.load(stateDict: dict, source: "g.safetensors")
        } throws: { error in
            let text = "\(error)"
            return text.contains("missing key(s) '4.bias'") && text.contains("unexpected key(s) 'extra.weight'")
                && text.contains("shape mismatch for '0.weight': file [8, 3, 4, 4], model [8, 3, 3, 3]")
                && text.hasPrefix("state dict 'g.safetensors'")
        }
        for ((_, t1), (_, t2)) in zip(before, m.stateDict()) { #expect(t1.isIdentical(to: t2)) }
        dict["0.weight"] = before[0].1
        try m.load(stateDict: dict, strict: false)
    }

    @Test func modesAndFreezing() throws {
        let m = Outer()
        m.eval()
        #expect(m.modules().allSatisfy { !$0.isTraining })
        m.train()
        #expect(m.modules().allSatisfy { $0.isTraining })
        m.blocks[1].freeze()
        #expect(m.trainableParameters().count == m.parameters().count - 5)
        m.unfreeze()
        #expect(m.trainableParameters().count == m.parameters().count)
    }

    /// `loadWeights` reads PyTorch checkpoints (zip, legacy, nested); safetensors are covered by the Vision tests.
    @Test func loadWeightsReadsPyTorchCheckpoints() throws {
        final class Net: Module {
            let conv1: Conv2d
            init(_ channels: Int = 3) throws {
                conv1 = try Conv2d(channels, 4, kernelSize: 3)
                super.init()
            }
        }
        let interop = FixtureFolder(besides: #filePath).directory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("FormatsTests/Fixtures/interop")
        let expected = try SafeTensorsFile.read(interop.appendingPathComponent("state_expected.safetensors"))
        for (file, key) in [("state_zip.pth", nil), ("state_legacy.pth", nil), ("nested_zip.pth", "state_dict")] as [(String, String?)] {
            let net = try Net()
            try net.loadWeights(from: interop.appendingPathComponent(file), strict: false, stateDictKey: key)
            #expect(net.conv1.weight.value.scalars == (try expected.tensor("conv1.weight")).scalars, "\(file)")
            #expect(net.conv1.bias?.value.scalars == (try expected.tensor("conv1.bias")).scalars, "\(file)")
            #expect(throws: StateDictError.self) { try Net().loadWeights(from: interop.appendingPathComponent(file), stateDictKey: key) }
        }
        #expect(throws: NNError.self) { try Net().loadWeights(from: URL(fileURLWithPath: "/tmp/weights.onnx")) }
    }
}

/// Weights with NaN or infinities are refused when loaded, naming the keys.
@Suite struct NonFiniteWeightsTests {
    @Test func loadingNaNWeightsIsAnError() throws {
        let layer = try Linear(3, 2)
        var state = Dictionary(uniqueKeysWithValues: layer.stateDict())
        #expect(throws: Never.self) { try layer.load(stateDict: state, source: "ok.safetensors") }
        var bias = try #require(state["bias"])
        bias.withUnsafeMutableBufferPointer { $0[1] = .infinity }
        state["bias"] = bias
        let before = layer.bias!.value
        let error = try #require(throws: StateDictError.self) { try layer.load(stateDict: state, source: "inf.safetensors") }
        #expect(error.nonFinite == ["bias"])
        #expect("\(error)".contains("'inf.safetensors'") && "\(error)".contains("NaN or infinite values in 'bias'"), "\(error)")
        #expect(layer.bias!.value.isIdentical(to: before))
    }
}
