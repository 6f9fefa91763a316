import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANGAN
import S2IGANFormats

/// The RDG networks and one whole training iteration against PyTorch from identical weights, inputs and noise
/// (`Tools/fixtures/make_rdg_fixtures.py`, `Fixtures/rdg.safetensors`; its docstring describes every key).
@Suite struct ParityTests {
    static let file: SafeTensorsFile? = try? fixtures.load("rdg")
    static let architecture = RDGArchitecture(stages: 3, generatorWidth: 4, discriminatorWidth: 4, noiseSize: 12, conditionSize: 8,
                                              speechEmbeddingSize: 16, residualBlocks: 2, relationEmbeddingSize: 16, relationHiddenSize: 8)

    static func fixture() throws -> SafeTensorsFile { try #require(file, "rdg.safetensors is missing") }

    /// The script's procedural U[−1, 1) inputs: an integer hash of the flat index and the seed.
    static func procedural(_ key: String, shape: [Int]) throws -> Tensor {
        let seeds = try JSONSerialization.jsonObject(with: Data(try #require(fixture().metadata["procedural"]).utf8)) as? [String: Int]
        let seed = UInt32(try #require(seeds?[key], "no seed for \(key)"))
        return try Tensor(shape: shape, scalars: procedural(seed: seed, count: shape.reduce(1, *)))
    }

    static func procedural(seed: UInt32, count: Int) -> [Float] {
        (0..<count).map { index in
            var x = UInt32(truncatingIfNeeded: index) &+ seed &* 0x9E37_79B9
            x ^= x >> 16; x = x &* 0x7FEB_352D; x ^= x >> 15
            x = x &* 0x846C_A68B; x ^= x >> 16
            return Float(Int32(x >> 8) - 8_388_608) * 0x1p-23
        }
    }

    /// Loads `module` from the entries `prefix.<name>`.
    static func load(_ module: Module, _ prefix: String) throws {
        let file = try fixture()
        var state: [String: Tensor] = [:]
        for (name, _) in module.stateDict() { state[name] = try file.tensor("\(prefix).\(name)") }
        try module.load(stateDict: state)
    }

    /// Compares with `key`, or with its 1 024-point subsample, sum and sum of squares for large results.
    /// The values of `actual` that the file holds for `key` (all of them, or the script's 1 024-point subsample of a
    /// large result), beside the file's values.
    static func compared(_ actual: Tensor, _ key: String) throws -> (got: [Float], expected: [Float]) {
        let file = try fixture()
        if file.arrays[key] != nil { return (actual.scalars, try file.tensor(key).scalars) }
        let values = actual.scalars, n = values.count
        return ((0..<1024).map { values[($0 * (n - 1)) / 1023] }, try file.tensor(key + ".sub").scalars)
    }

    static func check(_ actual: Tensor, _ key: String, rtol: Float = 1e-4, atol: Float = 1e-5,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = try fixture()
        if file.arrays[key] != nil {
            expectClose(actual, try file.tensor(key).reshaped(actual.shape), rtol: rtol, atol: atol, key, sourceLocation: sourceLocation)
            return
        }
        let values = actual.scalars, n = values.count
        expectClose(try Tensor(try compared(actual, key).got), try file.tensor(key + ".sub"), rtol: rtol, atol: atol, key + ".sub",
                    sourceLocation: sourceLocation)
        let sum = values.reduce(0.0) { $0 + Double($1) }, squares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        let expectedSum = Double(try file.tensor(key + ".sum").item()), expectedSquares = Double(try file.tensor(key + ".sumsq").item())
        let scale = squares.squareRoot() * Double(n).squareRoot()
        #expect(abs(sum - expectedSum) <= Double(rtol) * scale + Double(atol) * Double(n), "\(key).sum \(sum) vs \(expectedSum)",
                sourceLocation: sourceLocation)
        #expect(abs(squares - expectedSquares) <= 10 * Double(rtol) * expectedSquares + Double(atol), "\(key).sumsq \(squares) vs \(expectedSquares)",
                sourceLocation: sourceLocation)
    }

    /// Gradients that pass through the tiled condition are sums over every pixel of BatchNorm input gradients
    /// that cancel to almost nothing, so float32 rounding (different in the two libraries) moves single elements
    /// by up to about 1 %: these are compared as whole tensors (relative L2 error) and element-wise against the
    /// largest magnitude.
    static func checkGradient(_ actual: Tensor, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (got, expected) = try compared(actual, key)
        #expect(expected.count == got.count, "\(key): \(got.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        let norm = { (v: [Float]) in v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let relative = norm(zip(got, expected).map { $0 - $1 }) / max(norm(expected), 1e-30)
        let largest = expected.map(abs).max() ?? 0
        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(relative < 3e-3 || norm(expected) < 1e-6, "\(key): relative L2 error \(relative)", sourceLocation: sourceLocation)
        #expect(worst <= 2e-2 * largest + 1e-7, "\(key): largest difference \(worst) of \(largest)", sourceLocation: sourceLocation)
    }

    static func weightedSum(_ x: Variable, _ weights: Tensor) throws -> Variable { try (x * Variable(weights)).sum() }

    @Test func proceduralInputsMatchTheScript() throws {
        let file = try Self.fixture()
        let all = Self.procedural(seed: 1, count: 589_824)
        let picked = stride(from: 0, to: 589_824, by: 4096).map { all[$0] }
        #expect(picked == (try file.tensor("proc.check")).scalars)
    }

    @Test func generatorForwardBackwardAndEvaluation() throws {
        let file = try Self.fixture()
        let g = try Generator(Self.architecture)
        try Self.load(g, "G")
        let embedding = Variable(try file.tensor("G.input.embedding"), requiresGrad: true)
        let z = Variable(try file.tensor("G.input.z"), requiresGrad: true)
        let out = try g(noise: z, embedding: embedding, epsilon: try file.tensor("G.input.epsilon"))
        var loss = try Self.weightedSum(out.mu, file.tensor("G.weights.mu")) + Self.weightedSum(out.logVariance, file.tensor("G.weights.logvar"))
        for (k, size) in [64, 128, 256].enumerated() {
            try Self.check(out.images[k].value, "G.output.image\(size)")
            loss = try loss + Self.weightedSum(out.images[k], Self.procedural("G.weights.image\(size)", shape: [3, 3, size, size]))
        }
        try Self.check(out.mu.value, "G.output.mu")
        try Self.check(out.logVariance.value, "G.output.logvar")
        try Self.check(loss.value.reshaped([1]), "G.output.loss", rtol: 1e-4, atol: 1e-3)
        try loss.backward()
        for (name, p) in g.namedParameters() { try Self.checkGradient(try #require(p.grad, "\(name)"), "G.grad.\(name)") }
        try Self.checkGradient(try #require(embedding.grad), "G.grad.input.embedding")
        try Self.check(try #require(z.grad), "G.grad.input.z", rtol: 1e-3, atol: 1e-4)
        for (name, buffer) in g.namedBuffers() { try Self.check(buffer.value, "G.after.\(name)") }
        g.eval()
        let evaluated = try GradientMode.withoutGradient {
            try g(noise: Variable(file.tensor("G.input.z")), embedding: Variable(file.tensor("G.input.embedding")), epsilon: nil)
        }
        for (k, size) in [64, 128, 256].enumerated() { try Self.check(evaluated.images[k].value, "G.eval.image\(size)") }
    }

    @Test(arguments: [0, 1, 2]) func discriminatorForwardBackward(stage: Int) throws {
        let file = try Self.fixture()
        let d = try Discriminator.forStage(stage, architecture: Self.architecture)
        try Self.load(d, "D\(stage)")
        let size = 64 << stage
        let image = Variable(try Self.procedural("D\(stage).input.image", shape: [3, 3, size, size]), requiresGrad: true)
        let mu = Variable(try file.tensor("D\(stage).input.mu"), requiresGrad: true)
        let (cond, uncond) = try d(image, condition: mu)
        try Self.check(cond.value, "D\(stage).output.cond")
        try Self.check(uncond.value, "D\(stage).output.uncond")
        let loss = try Self.weightedSum(cond, file.tensor("D\(stage).weights.cond")) + Self.weightedSum(uncond, file.tensor("D\(stage).weights.uncond"))
        try loss.backward()
        for (name, p) in d.namedParameters() { try Self.check(try #require(p.grad, "\(name)"), "D\(stage).grad.\(name)", rtol: 1e-3, atol: 1e-5) }
        try Self.check(try #require(image.grad), "D\(stage).grad.input.image", rtol: 1e-3, atol: 1e-6)
        try Self.check(try #require(mu.grad), "D\(stage).grad.input.mu", rtol: 1e-3, atol: 1e-6)
        for (name, buffer) in d.namedBuffers() { try Self.check(buffer.value, "D\(stage).after.\(name)") }
    }

    @Test func relationSupervisorForwardBackward() throws {
        let file = try Self.fixture()
        let rs = try RelationSupervisor(embeddingSize: 16, hiddenSize: 8)
        try Self.load(rs, "RS")
        let a = Variable(try file.tensor("RS.input.a"), requiresGrad: true), b = Variable(try file.tensor("RS.input.b"), requiresGrad: true)
        let logits = try rs(a, b)
        try Self.check(logits.value, "RS.output.logits")
        let loss = try Variable.crossEntropy(logits, targets: file.tensor("RS.targets").scalars.map { Int($0) })
        try Self.check(loss.value.reshaped([1]), "RS.output.loss")
        try loss.backward()
        for (name, p) in rs.namedParameters() { try Self.check(try #require(p.grad, "\(name)"), "RS.grad.\(name)", rtol: 1e-3, atol: 1e-6) }
        try Self.check(try #require(a.grad), "RS.grad.input.a", rtol: 1e-3, atol: 1e-6)
        try Self.check(try #require(b.grad), "RS.grad.input.b", rtol: 1e-3, atol: 1e-6)
        for (name, buffer) in rs.namedBuffers() { try Self.check(buffer.value, "RS.after.\(name)") }
    }

    static func embedder() throws -> RelationEmbedder {
        let encoder = try ConvImageEncoder(inputSize: 64, channels: [4, 8], embeddingSize: 16)
        try load(encoder, "E")
        return RelationEmbedder(encoder: encoder)
    }

    /// The frozen embedder passes gradients to its input and collects none itself.
    @Test func frozenEmbedderPassesGradientsThrough() throws {
        let file = try Self.fixture()
        let phi = try Self.embedder()
        let image = Variable(try Self.procedural("E.input.image", shape: [3, 3, 256, 256]), requiresGrad: true)
        let out = try phi(image)
        try Self.check(out.value, "E.output")
        try Self.weightedSum(out, file.tensor("E.weights.output")).backward()
        try Self.check(try #require(image.grad), "E.grad.input.image", rtol: 1e-3, atol: 1e-6)
        #expect(phi.encoder.parameters().allSatisfy { $0.grad == nil })
    }

    @Test func oneTrainingIterationMatchesPyTorch() throws {
        let file = try Self.fixture()
        let g = try Generator(Self.architecture)
        try Self.load(g, "G")
        let ds = try (0..<3).map { try Discriminator.forStage($0, architecture: Self.architecture) }
        for (i, d) in ds.enumerated() { try Self.load(d, "D\(i)") }
        let rs = try RelationSupervisor(embeddingSize: 16, hiddenSize: 8)
        try Self.load(rs, "RS")
        let step = try RDGTrainingStep(generator: g, discriminators: ds, relationSupervisor: rs, embedder: Self.embedder())
        let sizes = [64, 128, 256]
        let batch = RDGBatch(real: try sizes.map { try Self.procedural("it.real\($0)", shape: [3, 3, $0, $0]) },
                             wrong: try sizes.map { try Self.procedural("it.wrong\($0)", shape: [3, 3, $0, $0]) },
                             similar: try Self.procedural("it.similar256", shape: [3, 3, 256, 256]), embeddings: try file.tensor("it.embedding"))
        let losses = try step.run(batch, noise: file.tensor("it.z"), epsilon: file.tensor("it.epsilon"))
        func value(_ key: String) throws -> Float { try file.tensor(key).item() }
        for i in 0..<3 {
            #expect(abs(losses.discriminators[i] - (try value("it.loss.D\(i)"))) < 1e-4, "D\(i)")
            #expect(abs(losses.generatorAdversarial[i] - (try value("it.loss.G_adv\(i)"))) < 1e-4, "G_adv\(i)")
        }
        #expect(abs(losses.relation - (try value("it.loss.RS"))) < 1e-4)
        #expect(abs(losses.generatorRelation - (try value("it.loss.G_RS"))) < 1e-4)
        #expect(abs(losses.kl - (try value("it.loss.KL"))) < 1e-5)
        #expect(abs(losses.generator - (try value("it.loss.G"))) < 1e-4)
        // The gradients each optimiser stepped with (the discriminators' and the supervisor's are left as their own
        // steps made them: they collect nothing during the generator's pass).
        let modules: [(String, Module)] = [("G", g), ("D0", ds[0]), ("D1", ds[1]), ("D2", ds[2]), ("RS", rs)]
        for (prefix, module) in modules {
            for (name, p) in module.namedParameters() {
                let gradient = try #require(p.grad, "\(name)")
                if prefix == "RS" && name == "L1.bias" {
                    // A bias right before BatchNorm: its true gradient is 0, both sides hold rounding noise.
                    let expected = try Self.fixture().tensor("it.grad.RS.L1.bias").scalars
                    #expect(gradient.scalars.allSatisfy { abs($0) < 1e-4 } && expected.allSatisfy { abs($0) < 1e-4 })
                } else {
                    try Self.checkGradient(gradient, "it.grad.\(prefix).\(name)")
                }
            }
        }
        // One Adam step from fresh moments moves a parameter by lr · g / (|g| + ε) ≈ ±lr, so where the true gradient
        // is zero (a bias before BatchNorm) rounding noise decides the sign: states agree within 2 lr.
        for (prefix, module) in modules {
            for (name, value) in module.stateDict() {
                let key = "it.after.\(prefix).\(name)"
                try Self.check(value, key, rtol: 0, atol: 4.1e-4)
                // ... while on average they agree far better than a missed or doubled step (lr) would.
                let (got, expected) = try Self.compared(value, key)
                let meanDifference = zip(got, expected).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(max(got.count, 1))
                #expect(meanDifference < 0.25 * 2e-4 || name.hasSuffix(".bias") && value.count <= 16, "\(key): mean difference \(meanDifference)")
            }
        }
        for ((name, _), average) in zip(g.namedParameters(), step.average.averages) {
            try Self.check(average, "it.after.ema.\(name)", rtol: 1e-5, atol: 1e-6)
        }
    }

    /// StackGAN-v2's colour-consistency term (an option of the trainer) against PyTorch: statistics, value, and the
    /// gradient reaching the upper stage's images (none reaches the lower stage's).
    @Test func colourConsistencyMatchesPyTorch() throws {
        let images = Variable(try Self.procedural("C.input.images", shape: [3, 3, 8, 8]) * 0.8, requiresGrad: true)
        let previous = Variable(try Self.procedural("C.input.previous", shape: [3, 3, 4, 4]) * 0.6 + 0.1, requiresGrad: true)
        let (mean, covariance) = try RDGColourConsistency.statistics(images)
        try Self.check(mean.value, "C.mean")
        try Self.check(covariance.value, "C.covariance")
        let loss = try RDGColourConsistency.loss(images, previous: previous)
        try Self.check(loss.value.reshaped([1]), "C.loss", rtol: 1e-5, atol: 1e-7)
        try loss.backward()
        try Self.check(try #require(images.grad), "C.grad.images", rtol: 1e-4, atol: 1e-7)
        #expect(previous.grad == nil)
    }
}
