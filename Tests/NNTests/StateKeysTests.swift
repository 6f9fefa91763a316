import Foundation
import Testing
import S2IGANTensor
@testable import S2IGANNN

/// `Module.stateKeys`: a property's Swift name and its state-dict key can differ; the key is what is saved, loaded
/// and listed, and a renaming of no property or onto a taken key is refused.
@Suite struct StateKeysTests {
    final class Renamed: Module {
        let conditioning: Linear
        let plain: Linear
        let heads: [Linear]
        override class var stateKeys: [String: String] { ["conditioning": "ca_net", "heads": "att_heads"] }
        init(size: Int = 1) throws {
            conditioning = try Linear(2, 3)
            plain = try Linear(3, 1)
            heads = [try Linear(1, 1)]
            super.init()
        }
    }

    /// Holds a `Renamed` child: the child's keys appear under the parent's.
    final class Parent: Module {
        let inner: Renamed
        init(size: Int = 1) throws { inner = try Renamed(); super.init() }
    }

    /// Renames a property it does not have (a misspelling).
    final class Misspelled: Module {
        let conditioning: Linear
        override class var stateKeys: [String: String] { ["conditoning": "ca_net"] }
        init(size: Int = 1) throws { conditioning = try Linear(1, 1); super.init() }
    }

    /// Renames a property onto the name another property already has.
    final class Clash: Module {
        let conditioning: Linear
        let ca_net: Linear
        override class var stateKeys: [String: String] { ["conditioning": "ca_net"] }
        init(size: Int = 1) throws { (conditioning, ca_net) = (try Linear(1, 1), try Linear(1, 1)); super.init() }
    }

    /// Renames two properties onto one key.
    final class TwoOntoOne: Module {
        let first: Linear
        let second: Linear
        override class var stateKeys: [String: String] { ["first": "layer", "second": "layer"] }
        init(size: Int = 1) throws { (first, second) = (try Linear(1, 1), try Linear(1, 1)); super.init() }
    }

    /// Holds a module with a mistake: found from the parent, as saving and loading the parent check every descendant.
    final class ParentOfMisspelled: Module {
        let inner: Misspelled
        init(size: Int = 1) throws { inner = try Misspelled(); super.init() }
    }

    @Test func aRenamedPropertyIsSavedAndLoadedUnderItsKey() throws {
        let model = try Renamed()
        try model.checkStateKeys()
        #expect(model.stateDictKeys == ["ca_net.weight", "ca_net.bias", "plain.weight", "plain.bias", "att_heads.0.weight", "att_heads.0.bias"])
        #expect(model.namedChildren.map(\.0) == ["ca_net", "plain", "att_heads.0"])
        #expect(try Parent().stateDictKeys.first == "inner.ca_net.weight")
        let copy = try Renamed()
        try copy.load(stateDict: Dictionary(uniqueKeysWithValues: model.stateDict()))
        #expect(copy.conditioning.weight.value.scalars == model.conditioning.weight.value.scalars)
        #expect(copy.heads[0].weight.value.scalars == model.heads[0].weight.value.scalars)
        // The Swift name is not a key.
        let swiftNamed = try #require(throws: StateDictError.self) {
            try copy.load(stateDict: ["conditioning.weight": model.conditioning.weight.value], strict: true)
        }
        #expect(swiftNamed.unexpected == ["conditioning.weight"])
    }

    @Test func renamingsOfNoPropertyOrOntoATakenKeyAreRefused() throws {
        let misspelled = try #require(throws: NNError.self) { try Misspelled().checkStateKeys() }
        #expect("\(misspelled)".contains("Misspelled.stateKeys renames 'conditoning', which is not a stored property"), "\(misspelled)")
        let clash = try #require(throws: NNError.self) { try Clash().checkStateKeys() }
        #expect("\(clash)".contains("'conditioning' and 'ca_net' the same state-dict key 'ca_net'"), "\(clash)")
        let twoOntoOne = try #require(throws: NNError.self) { try TwoOntoOne().checkStateKeys() }
        #expect("\(twoOntoOne)".contains("'first' and 'second' the same state-dict key 'layer'"), "\(twoOntoOne)")
        // Saving and loading check every descendant before touching anything.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-keys-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: NNError.self) { try ParentOfMisspelled().save(to: folder.appendingPathComponent("m.safetensors")) }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(throws: NNError.self) { try ParentOfMisspelled().load(stateDict: [:], strict: false) }
        #expect(throws: NNError.self) { try TrainingCheckpoint.save(to: folder.appendingPathComponent("c.safetensors"), model: TwoOntoOne()) }
    }
}
