import Autograd
import Foundation
import NN
import Tensor
import TestSupport
import Testing
@testable import GAN

let fixtures = FixtureFolder(besides: #filePath)

/// Parameter counts and state-dict names at the reference configuration (spec 6 and Appendix A, whose listing
/// is `Fixtures/reference_state_dicts.txt`).
@Suite struct ArchitectureTests {
    static func count(_ module: Module) -> Int { module.parameters().reduce(0) { $0 + $1.value.count } }

    @Test func referenceParameterCounts() throws {
        #expect(Self.count(try Generator(.reference)) == 21_285_776)
        #expect(Self.count(try Discriminator64()) == 5_723_906)
        #expect(Self.count(try Discriminator128()) == 18_834_178)
        #expect(Self.count(try Discriminator256()) == 71_269_122)
        #expect(Self.count(try RelationSupervisor()) == 263_044)
        #expect(Self.count(try ConditioningAugmentation()) == 524_800)
    }

    /// Every entry of the reference's checkpoints, in order, with its shape.
    @Test func stateDictsListTheReferenceEntriesInOrder() throws {
        let text = try String(contentsOf: fixtures.url("reference_state_dicts.txt"), encoding: .utf8)
        var sections: [String: [String]] = [:]
        var current = ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("### ") { current = String(line.dropFirst(4).prefix { $0 != ":" }); continue }
            sections[current, default: []].append(line)
        }
        func describe(_ module: Module) -> [String] {
            module.stateDict().map { "\($0.0) [\($0.1.shape.map(String.init).joined(separator: ", "))]" }
        }
        let models: [(String, Module)] = [("netG", try Generator(.reference)), ("netD0", try Discriminator64()),
                                          ("netD1", try Discriminator128()), ("netD2", try Discriminator256()),
                                          ("netMD", try RelationSupervisor())]
        for (name, model) in models {
            #expect(sections[name]?.isEmpty == false, "\(name) missing from the listing")
            #expect(describe(model) == sections[name], "\(name)")
        }
    }

    @Test func smallerArchitecturesAndBadSizes() throws {
        let two = try Generator(RDGArchitecture(stages: 2, generatorWidth: 16))
        #expect(two.h_net3 == nil && two.img_net3 == nil && two.h_net2 != nil)
        #expect(!two.stateDict().contains { $0.0.hasPrefix("h_net3") })
        #expect(throws: TensorError.self) { try Generator(RDGArchitecture(stages: 4)) }
        #expect(throws: TensorError.self) { try Generator(RDGArchitecture(generatorWidth: 6)) }
        #expect(throws: TensorError.self) { try Discriminator(imageSize: 96) }
    }
}
