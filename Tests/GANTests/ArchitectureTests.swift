import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANGAN

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
        #expect(two.stage3 == nil && two.imageHead3 == nil && two.stage2 != nil)
        #expect(!two.stateDict().contains { $0.0.hasPrefix("h_net3") })
        #expect(throws: GANError.self) { try Generator(RDGArchitecture(stages: 4)) }
        #expect(throws: GANError.self) { try Generator(RDGArchitecture(generatorWidth: 6)) }
        #expect(throws: GANError.self) { try Discriminator(imageSize: 96) }
        #expect(throws: GANError.self) { try Generator(RDGArchitecture(stages: 1, generatorWidth: 8, embeddingScale: 0)) }
    }

    /// `embedding_scale` multiplies the speech embedding before conditioning augmentation and nothing else: a
    /// scaled generator on e equals the same weights at scale 1 on s·e. Files written before the key existed
    /// decode with 1, and a generator can stop after its first stages.
    @Test func embeddingScaleAndEarlyStop() throws {
        let base = RDGArchitecture(stages: 2, generatorWidth: 8, discriminatorWidth: 4, noiseSize: 6, conditionSize: 4, speechEmbeddingSize: 16)
        var scaledArchitecture = base
        scaledArchitecture.embeddingScale = 4
        let plain = try Initialization.seeded(5) { try Generator(base) }
        let scaled = try Generator(scaledArchitecture)
        try scaled.load(stateDict: Dictionary(uniqueKeysWithValues: plain.stateDict()))
        for m in [plain, scaled] { m.eval() }
        var rng = RandomGenerator(seed: 6)
        let z = try Tensor.normal([3, 6], using: &rng), e = try Tensor.normal([3, 16], using: &rng)
        let a = try scaled(noise: Variable(z), embedding: Variable(e), epsilon: nil)
        let b = try plain(noise: Variable(z), embedding: Variable(e * 4), epsilon: nil)
        let c = try plain(noise: Variable(z), embedding: Variable(e), epsilon: nil)
        #expect(a.mu.value.scalars == b.mu.value.scalars && a.images[1].value.scalars == b.images[1].value.scalars)
        #expect(a.mu.value.scalars != c.mu.value.scalars)
        let first = try plain(noise: Variable(z), embedding: Variable(e), epsilon: nil, stages: 1)
        #expect(first.images.count == 1 && first.images[0].value.scalars == c.images[0].value.scalars)
        #expect(throws: GANError.self) { try plain(noise: Variable(z), embedding: Variable(e), epsilon: nil, stages: 3) }
        var json = String(decoding: try JSONEncoder().encode(scaledArchitecture), as: UTF8.self)
        #expect(try JSONDecoder().decode(RDGArchitecture.self, from: Data(json.utf8)) == scaledArchitecture)
        json = json.replacingOccurrences(of: #""embedding_scale":4,"#, with: "").replacingOccurrences(of: #","embedding_scale":4"#, with: "")
        #expect(!json.contains("embedding_scale"))
        #expect(try JSONDecoder().decode(RDGArchitecture.self, from: Data(json.utf8)) == base)
    }

    /// `residual_images`: a refinement stage's pre-tanh image is its head's output plus the previous stage's
    /// pre-tanh image upsampled ×2. With the same weights, stage k of the residual generator is
    /// tanh(atanh(plain stage k) + up(atanh(residual stage k − 1))); with a stage's head zeroed, its image is the
    /// previous one upsampled exactly; the last image's gradient reaches the first stage's head (finite
    /// differences); files without the key decode as false.
    @Test func residualImages() throws {
        let plainArchitecture = RDGArchitecture(stages: 3, generatorWidth: 8, discriminatorWidth: 4, noiseSize: 6, conditionSize: 4,
                                                speechEmbeddingSize: 16)
        var residualArchitecture = plainArchitecture
        residualArchitecture.residualImages = true
        let plain = try Initialization.seeded(7) { try Generator(plainArchitecture) }
        let residual = try Generator(residualArchitecture)
        try residual.load(stateDict: Dictionary(uniqueKeysWithValues: plain.stateDict()))
        for m in [plain, residual] { m.eval() }
        var rng = RandomGenerator(seed: 8)
        let z = try Tensor.normal([2, 6], using: &rng), e = try Tensor.normal([2, 16], using: &rng)
        let p = try plain(noise: Variable(z), embedding: Variable(e), epsilon: nil).images.map(\.value)
        let r = try residual(noise: Variable(z), embedding: Variable(e), epsilon: nil).images.map(\.value)
        #expect(r.count == 3 && r.map(\.shape) == p.map(\.shape))
        #expect(r[0].scalars == p[0].scalars)
        for k in 1..<3 {
            let previous = try r[k - 1].upsampledNearest(scale: 2).scalars
            var worst: Double = 0
            for (i, (plainValue, residualValue)) in zip(p[k].scalars, r[k].scalars).enumerated() {
                let expected = Foundation.tanh(Foundation.atanh(Double(plainValue)) + Foundation.atanh(Double(previous[i])))
                worst = max(worst, abs(expected - Double(residualValue)))
            }
            #expect(worst < 1e-4, "stage \(k + 1): \(worst)")
            #expect(p[k].scalars != r[k].scalars)
        }

        // A zeroed head adds nothing: the 128-px image is the 64-px one, each pixel repeated 2 × 2.
        let head = try #require(residual.imageHead2?.img.layers.first as? Conv2d)
        head.weight.value = try Tensor.zeros(head.weight.shape)
        if let bias = head.bias { bias.value = try Tensor.zeros(bias.shape) }
        let zeroed = try residual(noise: Variable(z), embedding: Variable(e), epsilon: nil, stages: 2).images.map(\.value)
        #expect(zeroed[1].scalars == (try zeroed[0].upsampledNearest(scale: 2)).scalars)

        // The later images depend on the first stage's head, and the gradient there is right (checked through the
        // 128-px image: a tenth of the time of the 256-px one).
        let first = try #require(residual.imageHead1.img.layers.first as? Conv2d)
        let check = try GradientCheck.check([first.weight], epsilon: 1e-2, rtol: 2e-2, atol: 2e-3) {
            try residual(noise: Variable(z.slice(axis: 0, start: 0, end: 1)), embedding: Variable(e.slice(axis: 0, start: 0, end: 1)),
                         epsilon: nil, stages: 2).images[1]
        }
        #expect(check.passed, "\(check)")
        for (generator, reaches) in [(plain, false), (residual, true)] {
            let weight = try #require(generator.imageHead1.img.layers.first as? Conv2d).weight
            generator.zeroGrad()
            try generator(noise: Variable(z), embedding: Variable(e), epsilon: nil).images[2].sum().backward()
            let gradient = weight.grad?.scalars ?? []
            #expect(gradient.contains { $0 != 0 } == reaches)
        }

        var json = String(decoding: try JSONEncoder().encode(residualArchitecture), as: UTF8.self)
        #expect(try JSONDecoder().decode(RDGArchitecture.self, from: Data(json.utf8)) == residualArchitecture)
        json = json.replacingOccurrences(of: #""residual_images":true,"#, with: "").replacingOccurrences(of: #","residual_images":true"#, with: "")
        #expect(!json.contains("residual_images"))
        #expect(try JSONDecoder().decode(RDGArchitecture.self, from: Data(json.utf8)) == plainArchitecture)
    }
}
