import S2IGANAutograd
import S2IGANNN
import S2IGANTensor
import S2IGANTraining

/// Which relation each pair is trained towards (spec 3.4 and 8.1).
public enum RelationLabels: String, Sendable, Codable, CaseIterable {
    /// The released trainer: identical 0, similar 1, generated 1, wrong 2 (class 3 unused). The default.
    case released
    /// The alternative trainer found in the repository's compiled cache: generated 0, similar 1, identical 2,
    /// wrong 3 (all four outputs used, the supervisor becomes adversarial).
    case fourClass = "four_class"

    public var identical: Int { self == .released ? 0 : 2 }
    public var similar: Int { 1 }
    public var generated: Int { self == .released ? 1 : 0 }
    public var wrong: Int { self == .released ? 2 : 3 }
    /// What the generator aims for with the (real, generated) pair: 1 in both variants.
    public var generatorTarget: Int { 1 }
}

/// The loss coefficients and relation-supervisor options of one iteration (spec 3.5).
public struct RDGLossSettings: Sendable, Equatable, Codable {
    /// `TRAIN.COEFF.KL`.
    public var kl: Float = 2
    /// `UNCOND_LOSS`: the weight of the unconditional heads' terms in the discriminators' and the generator's losses;
    /// at 0 the heads are unused and a discriminator's wrong and fake terms are halved, as in the reference.
    public var unconditional: Float = 1
    /// `MD_LOSS`: the relation supervisor's loss and the generator's relation term; 0 switches RS off.
    public var relation: Float = 1
    public var relationLabels: RelationLabels = .released
    /// The (I, I) pair; the released source uses it for CUB and Oxford only.
    public var identicalPair = true
    /// StackGAN-v2's colour-consistency term (`TRAIN.COEFF.COLOR_LOSS`, which the S2IGAN configurations carry but
    /// its trainer ignores, spec 8.6; 0, parity): each stage's images are pulled towards the per-image colour
    /// mean and covariance of the previous stage's (detached) images, see ``RDGColourConsistency``.
    public var colourConsistency: Float = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kl, unconditional, relation, relationLabels = "relation_labels", identicalPair = "identical_pair"
        case colourConsistency = "colour_consistency"
    }

    public init(kl: Float = 2, unconditional: Float = 1, relation: Float = 1, relationLabels: RelationLabels = .released, identicalPair: Bool = true,
                colourConsistency: Float = 0) {
        (self.kl, self.unconditional, self.relation, self.relationLabels, self.identicalPair) = (kl, unconditional, relation, relationLabels, identicalPair)
        self.colourConsistency = colourConsistency
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kl: try c.decode(Float.self, forKey: .kl), unconditional: try c.decode(Float.self, forKey: .unconditional),
                  relation: try c.decode(Float.self, forKey: .relation), relationLabels: try c.decode(RelationLabels.self, forKey: .relationLabels),
                  identicalPair: try c.decode(Bool.self, forKey: .identicalPair),
                  // Absent in configurations and checkpoints written before the term existed.
                  colourConsistency: try c.decodeIfPresent(Float.self, forKey: .colourConsistency) ?? 0)
    }
}

/// StackGAN-v2's colour-consistency regulariser between the images of consecutive stages: with μ the per-image,
/// per-channel mean over the pixels (`[B, 3]`) and Σ the per-image 3 × 3 covariance of the pixel colours
/// (`[B, 3, 3]`, divided by the pixel count),
/// `L = mean((μ_i − μ_{i−1})²) + 5 · mean((Σ_i − Σ_{i−1})²)`, the previous stage's statistics detached, so each
/// stage is drawn towards the colours of the one below it and not the other way round.
public enum RDGColourConsistency {
    /// μ `[B, C]` and Σ `[B, C, C]` of images `[B, C, H, W]`.
    public static func statistics(_ images: Variable) throws -> (mean: Variable, covariance: Variable) {
        let shape = images.value.shape
        guard shape.count == 4, shape[2] * shape[3] > 0 else {
            throw GANError.shapeMismatch("colour statistics of \(shape) (need [B, C, H, W] images)")
        }
        let pixels = try images.reshaped([shape[0], shape[1], shape[2] * shape[3]])
        let mean = try pixels.mean(axes: [2], keepDims: true)
        let centred = try pixels - mean
        let covariance = try Variable.matmul(centred, centred, transposeB: true) * (1 / Float(shape[2] * shape[3]))
        return (try mean.squeezed(axis: 2), covariance)
    }

    /// The term between a stage's `images` and the `previous` stage's (detached here).
    public static func loss(_ images: Variable, previous: Variable) throws -> Variable {
        let (mu, sigma) = try statistics(images)
        let (mu0, sigma0) = try statistics(previous.detached())
        return try Variable.meanSquaredError(mu, mu0) + Variable.meanSquaredError(sigma, sigma0) * 5
    }
}

/// One batch of RDG training data: real and wrong images per stage (`[B, 3, S, S]` in [−1, 1]), the similar
/// image at the last stage's size, and one speech embedding per image. A batch with fewer scales than the
/// generator has stages trains only the first stages (a progressive schedule).
public struct RDGBatch {
    public var real: [Tensor]
    public var wrong: [Tensor]
    public var similar: Tensor
    public var embeddings: Tensor

    public init(real: [Tensor], wrong: [Tensor], similar: Tensor, embeddings: Tensor) {
        (self.real, self.wrong, self.similar, self.embeddings) = (real, wrong, similar, embeddings)
    }

    public var count: Int { embeddings.shape.first ?? 0 }
}

/// The losses of one iteration, as logged.
public struct RDGLosses: Sendable, Equatable, Codable {
    /// L_Di per stage.
    public var discriminators: [Float]
    /// L_RS (0 when the relation supervisor is off).
    public var relation: Float
    /// BCE(D_i^c(f_i), 1) + coefficient · BCE(D_i^u(f_i), 1) per stage.
    public var generatorAdversarial: [Float]
    /// CE(RS(φ(I), φ(G)), target).
    public var generatorRelation: Float
    public var kl: Float
    /// The colour-consistency term, summed over the stage pairs, before its coefficient (0 when it is off).
    public var colourConsistency: Float
    /// The whole generator loss.
    public var generator: Float

    enum CodingKeys: String, CodingKey {
        case discriminators = "d", relation = "rs", generatorAdversarial = "g_adv", generatorRelation = "g_rs", kl
        case colourConsistency = "g_colour", generator = "g"
    }

    public init(discriminators: [Float], relation: Float, generatorAdversarial: [Float], generatorRelation: Float, kl: Float,
                colourConsistency: Float = 0, generator: Float) {
        (self.discriminators, self.relation, self.generatorAdversarial, self.generatorRelation, self.kl) =
            (discriminators, relation, generatorAdversarial, generatorRelation, kl)
        (self.colourConsistency, self.generator) = (colourConsistency, generator)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(discriminators: try c.decode([Float].self, forKey: .discriminators), relation: try c.decode(Float.self, forKey: .relation),
                  generatorAdversarial: try c.decode([Float].self, forKey: .generatorAdversarial),
                  generatorRelation: try c.decode(Float.self, forKey: .generatorRelation), kl: try c.decode(Float.self, forKey: .kl),
                  // Absent in logs written before the term existed.
                  colourConsistency: try c.decodeIfPresent(Float.self, forKey: .colourConsistency) ?? 0,
                  generator: try c.decode(Float.self, forKey: .generator))
    }

    /// Every value, for NaN checks.
    public var all: [Float] { discriminators + generatorAdversarial + [relation, generatorRelation, kl, colourConsistency, generator] }
}

/// Where the time of one iteration went, in seconds (the phases of `shared/bench/04_rdg_gan.py`).
public struct RDGPhaseTimes: Sendable, Equatable, Codable {
    /// The generator's forward pass.
    public var generator: Double = 0
    /// The discriminators' updates.
    public var discriminators: Double = 0
    /// The relation supervisor's update, with the image embeddings.
    public var relation: Double = 0
    /// The generator's update: its losses, the backward pass, the optimiser step.
    public var generatorUpdate: Double = 0
    /// The moving average.
    public var average: Double = 0

    enum CodingKeys: String, CodingKey {
        case generator = "g_fwd", discriminators = "d_steps", relation = "md_step", generatorUpdate = "g_step", average = "ema"
    }

    /// The phases in milliseconds under their coded names (`g_fwd`, `d_steps`, …), as benchmark rows print them.
    public var milliseconds: [String: Double] {
        let phases: [(CodingKeys, Double)] = [(.generator, generator), (.discriminators, discriminators), (.relation, relation),
                                              (.generatorUpdate, generatorUpdate), (.average, average)]
        return Dictionary(uniqueKeysWithValues: phases.map { ($0.0.rawValue, $0.1 * 1000) })
    }
}

/// The networks and optimisers of RDG training and one iteration of it in the reference's order (spec 3.6
/// steps 2–6): the generator once; each discriminator on real, wrong and detached fake images; the relation
/// supervisor on (I, I), (I, I_s), (I, G), (I, I_w); the generator against the just-updated discriminators and
/// the supervisor, plus the KL term; the moving average of the generator's parameters.
///
/// Two computations of the reference are not repeated, with no effect on the numbers: φ(I) and φ(G) are
/// computed once per iteration (the embedder is frozen and in evaluation mode, so its outputs do not change
/// between the two uses), and only the 256 pair is embedded in the generator step (spec 8.7). Parameters of
/// the discriminators and the supervisor do not collect gradients during the generator's backward pass (the
/// reference computes and then discards them).
public final class RDGTrainingStep {
    public let generator: Generator
    public let discriminators: [Discriminator]
    public let relationSupervisor: RelationSupervisor?
    public let embedder: RelationEmbedder?
    public let generatorOptimizer: Adam
    public let discriminatorOptimizers: [Adam]
    public let relationOptimizer: Adam?
    public var losses: RDGLossSettings
    /// The moving average of the generator's parameters (not its BatchNorm buffers), decay 0.999 unless given.
    public let average: ExponentialMovingAverage
    /// The phase times of the last ``run(_:noise:epsilon:)``.
    public private(set) var lastPhaseTimes = RDGPhaseTimes()
    /// Data-parallel training: the batch is this replica's shard, and before each optimiser step (each
    /// discriminator's, the relation supervisor's, the generator's) that network's gradients are averaged over
    /// the replicas.
    public var parallel: DataParallel?

    public init(generator: Generator, discriminators: [Discriminator], relationSupervisor: RelationSupervisor?, embedder: RelationEmbedder?,
                losses: RDGLossSettings = RDGLossSettings(), learningRate: Float = 2e-4, discriminatorLearningRate: Float? = nil,
                betas: (Float, Float) = (0.5, 0.999), averageDecay: Float = 0.999) throws {
        let dRate = discriminatorLearningRate ?? learningRate
        guard discriminators.count == generator.architecture.stages else {
            throw GANError.invalidConfiguration("RDG: \(discriminators.count) discriminators for \(generator.architecture.stages) generator stages")
        }
        if losses.relation > 0 && (relationSupervisor == nil || embedder == nil) {
            throw GANError.invalidConfiguration("RDG: the relation loss needs a relation supervisor and an image embedder")
        }
        (self.generator, self.discriminators, self.relationSupervisor, self.embedder, self.losses) =
            (generator, discriminators, relationSupervisor, embedder, losses)
        generatorOptimizer = try Adam(parameters: generator.parameters(), learningRate: learningRate, betas: betas)
        discriminatorOptimizers = try discriminators.map { try Adam(parameters: $0.parameters(), learningRate: dRate, betas: betas) }
        relationOptimizer = try relationSupervisor.map { try Adam(parameters: $0.parameters(), learningRate: dRate, betas: betas) }
        average = try ExponentialMovingAverage(parameters: generator.parameters(), decay: averageDecay)
    }

    var usesRelation: Bool { losses.relation > 0 && relationSupervisor != nil && embedder != nil }

    /// One iteration on `batch` with generator noise `noise` `[B, z]` and conditioning noise `epsilon` `[B, c]`.
    /// The batch's scale count chooses how many stages train: the generator runs that far, only those
    /// discriminators update, and the relation supervisor sees the last of them (the losses of the other
    /// stages read 0). Throws, naming the loss, if any loss is not finite (before the step that would spread it).
    /// With a `trace`, every loss term and every gradient norm of the iteration is also recorded in it.
    @discardableResult
    public func run(_ batch: RDGBatch, noise: Tensor, epsilon: Tensor, trace: RDGStepTrace? = nil) throws -> RDGLosses {
        let allStages = generator.architecture.stages
        let stages = batch.real.count
        let n = batch.count
        guard (1...allStages).contains(stages), batch.wrong.count == stages else {
            throw GANError.shapeMismatch("RDG batch: \(batch.real.count) real and \(batch.wrong.count) wrong scales for a generator of \(allStages) stages")
        }
        let idle = [Float](repeating: 0, count: allStages - stages)
        let ones = try Tensor.ones([n]), zeros = try Tensor.zeros([n])
        func bce(_ p: Variable, _ target: Tensor) throws -> Variable {
            if let bad = p.value.scalars.first(where: { !$0.isFinite }) {
                throw NonFiniteLoss(name: "discriminator output", value: bad)
            }
            return try Variable.binaryCrossEntropy(p, targets: target)
        }
        func finite(_ value: Float, _ name: String) throws -> Float { try NonFiniteLoss.check(value, name) }

        let clock = ContinuousClock()
        var mark = clock.now
        var times = RDGPhaseTimes()
        func lap() -> Double {
            let now = clock.now, elapsed = mark.duration(to: now)
            mark = now
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        }

        // 2. The generator, once.
        let output = try generator(noise: Variable(noise), embedding: Variable(batch.embeddings), epsilon: epsilon, stages: stages)
        let mu = output.mu.detached()
        times.generator = lap()

        // 3. Each discriminator on real, wrong and detached fake images.
        var dLosses: [Float] = []
        for (i, d) in discriminators.prefix(stages).enumerated() {
            discriminatorOptimizers[i].zeroGrad()
            let real = try d(Variable(batch.real[i]), condition: mu)
            let wrong = try d(Variable(batch.wrong[i]), condition: mu)
            let fake = try d(output.images[i].detached(), condition: mu)
            let (realC, wrongC, fakeC) = (try bce(real.conditional, ones), try bce(wrong.conditional, zeros), try bce(fake.conditional, zeros))
            let (realU, wrongU, fakeU) = (try bce(real.unconditional, ones), try bce(wrong.unconditional, ones), try bce(fake.unconditional, zeros))
            // The reference's two branches: with UNCOND_LOSS > 0 both heads, the unconditional ones weighted by it;
            // without, the conditional head alone with the wrong and fake terms halved.
            let u = losses.unconditional
            let loss = u > 0 ? try (realC + realU * u) + (wrongC + wrongU * u) + (fakeC + fakeU * u)
                             : try realC + (wrongC + fakeC) * 0.5
            dLosses.append(try finite(loss.value.item(), "discriminator \(i)"))
            try trace?.discriminators.append(RDGStepTrace.DiscriminatorTerms(
                realConditional: realC.value.item(), realUnconditional: realU.value.item(), wrongConditional: wrongC.value.item(),
                wrongUnconditional: wrongU.value.item(), fakeConditional: fakeC.value.item(), fakeUnconditional: fakeU.value.item(),
                total: loss.value.item()))
            try loss.backward()
            try parallel?.averageGradients(of: d)
            trace?.recordGradients(of: d, as: "netD\(i)")
            try discriminatorOptimizers[i].step()
        }

        times.discriminators = lap()

        // 4. The relation supervisor.
        var rsLoss: Float = 0
        var phiReal: Variable?, phiFake: Variable?
        if usesRelation, let rs = relationSupervisor, let embedder, let optimizer = relationOptimizer {
            let labels = losses.relationLabels
            let (real, fake) = (try embedder(Variable(batch.real[stages - 1])).detached(), try embedder(output.images[stages - 1]))
            let similar = try embedder(Variable(batch.similar)).detached()
            let wrong = try embedder(Variable(batch.wrong[stages - 1])).detached()
            (phiReal, phiFake) = (real, fake)
            optimizer.zeroGrad()
            func term(_ other: Variable, _ label: Int) throws -> Variable {
                try Variable.crossEntropy(rs(real, other), targets: .init(repeating: label, count: n))
            }
            // The reference's forward order ((I, I), (I, I_s), (I, G), (I, I_w): BatchNorm's running statistics
            // depend on it, and it runs the (I, I) pair even where its loss is left out) and its sum's order
            // (similar, identical, generated, wrong, each times MD_LOSS).
            let identicalPair = try term(real, labels.identical)
            let identical = losses.identicalPair ? identicalPair : nil
            let (similarTerm, generated, wrongTerm) = (try term(similar, labels.similar), try term(fake.detached(), labels.generated),
                                                       try term(wrong, labels.wrong))
            let c = losses.relation
            var loss = similarTerm * c
            if let identical { loss = try loss + identical * c }
            loss = try loss + generated * c + wrongTerm * c
            rsLoss = try finite(loss.value.item(), "relation supervisor")
            trace?.relation = RDGStepTrace.RelationTerms(identical: try identical?.value.item(), similar: try similarTerm.value.item(),
                                                        generated: try generated.value.item(), wrong: try wrongTerm.value.item(),
                                                        total: rsLoss)
            try loss.backward()
            try parallel?.averageGradients(of: rs)
            trace?.recordGradients(of: rs, as: "netMD")
            try optimizer.step()
        }

        times.relation = lap()

        // 5. The generator against the updated discriminators and supervisor.
        generatorOptimizer.zeroGrad()
        let frozen = discriminators.flatMap { $0.parameters() } + (relationSupervisor?.parameters() ?? [])
        for p in frozen { p.requiresGrad = false }
        defer { for p in frozen { p.requiresGrad = true } }
        var adversarial: [Variable] = []
        var conditional: [Float] = [], unconditional: [Float] = []
        for (i, d) in discriminators.prefix(stages).enumerated() {
            let fake = try d(output.images[i], condition: output.mu)
            let (c, u) = (try bce(fake.conditional, ones), try bce(fake.unconditional, ones))
            adversarial.append(losses.unconditional > 0 ? try c + u * losses.unconditional : c)
            conditional.append(try c.value.item())
            unconditional.append(try u.value.item())
        }
        var total = try adversarial.dropFirst().reduce(adversarial[0], +)
        var gRS: Float = 0
        if let rs = relationSupervisor, let phiReal, let phiFake {
            let term = try Variable.crossEntropy(rs(phiReal, phiFake), targets: .init(repeating: losses.relationLabels.generatorTarget, count: n))
            gRS = try finite(term.value.item(), "generator relation")
            total = try total + term * losses.relation
        }
        let kl = try Variable.gaussianKLDivergence(mean: output.mu, logVariance: output.logVariance)
        total = try total + kl * losses.kl
        var colour: Float = 0
        if losses.colourConsistency > 0 && stages > 1 {
            let terms = try (1..<stages).map { try RDGColourConsistency.loss(output.images[$0], previous: output.images[$0 - 1]) }
            let sum = try terms.dropFirst().reduce(terms[0], +)
            colour = try finite(sum.value.item(), "colour consistency")
            total = try total + sum * losses.colourConsistency
        }
        let result = RDGLosses(discriminators: dLosses + idle, relation: rsLoss, generatorAdversarial: try adversarial.map { try $0.value.item() } + idle,
                               generatorRelation: gRS, kl: try kl.value.item(), colourConsistency: colour,
                               generator: try finite(total.value.item(), "generator"))
        trace?.generator = RDGStepTrace.GeneratorTerms(conditional: conditional, unconditional: unconditional,
                                                       relation: phiFake == nil ? nil : gRS, kl: result.kl, colour: colour, total: result.generator)
        try total.backward()
        try parallel?.averageGradients(of: generator)
        trace?.recordGradients(of: generator, as: "netG")
        try generatorOptimizer.step()
        times.generatorUpdate = lap()

        // 6. The moving average.
        try average.update()
        times.average = lap()
        lastPhaseTimes = times
        return result
    }

    /// Runs `body` with the averaged parameters in the generator, then puts the live ones back.
    public func withAveragedGenerator<R>(_ body: (Generator) throws -> R) rethrows -> R {
        average.swap()
        defer { average.swap() }
        return try body(generator)
    }

    /// Copies the averaged parameters into the generator for good, as the reference does at every save
    /// (spec 8.4); the averages themselves stay.
    public func loadAverageIntoGenerator() {
        for (p, a) in zip(average.parameters, average.averages) { p.value = a }
    }
}

/// Why an RDG iteration stopped: a loss that is not finite (the harness's ``NonFiniteLoss``).
public typealias RDGTrainingError = NonFiniteLoss
