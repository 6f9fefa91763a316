import S2IGANAutograd
import S2IGANNN
import S2IGANTensor
import S2IGANTraining

/// The losses of one SEN iteration.
public struct SENStepLosses: Sendable, Equatable {
    /// Matching plus (with a classifier) distinctive loss: what the optimiser minimises.
    public var total: Float
    public var matching: Float
    /// `nil` without a classifier (datasets without classes).
    public var distinctive: Float?
}

/// One SEN training iteration (spec 2.5): both encoders forward, the matching loss plus, when the model has a
/// classifier, the distinctive loss, backward, one Adam step. ``SENTrainer`` runs it for every batch and the
/// `sen-step` benchmark times it, so the benchmark measures the step that trains.
public final class SENTrainingStep {
    public let model: SENModel
    public let optimizer: Adam
    /// γ3 of the matching loss.
    public var gamma: Float
    /// Data-parallel training: the batch is this replica's shard of the global batch. The matching loss compares
    /// every caption with every image of the global batch, so both embeddings (and the class ids) are gathered from
    /// every replica (``Variable/gatherRows(_:across:)``); the distinctive loss is this shard's; the gradients are
    /// averaged over the replicas before the step.
    public var parallel: DataParallel?

    public init(model: SENModel, optimizer: Adam, gamma: Float = 10) {
        (self.model, self.optimizer, self.gamma) = (model, optimizer, gamma)
    }

    /// The step of `configuration`: Adam on the model's trainable parameters with its learning rate, betas and
    /// coupled weight decay, and its γ.
    public convenience init(model: SENModel, configuration c: SENTrainingConfiguration) throws {
        let adam = try Adam(parameters: model.trainableParameters(), learningRate: c.learningRate, betas: (c.betas[0], c.betas[1]),
                            weightDecay: c.weightDecay)
        self.init(model: model, optimizer: adam, gamma: c.gamma)
    }

    /// One iteration on a batch: `captions` `[B, T, mel]` padded, longest first, with their `lengths`;
    /// `imageInputs` as the image encoder's `prepare` gives them; each pair's class id (for the matching loss's
    /// mask) and 0-based training label (for the classifier). Throws ``NonFiniteLoss`` before the backward pass
    /// when the loss is not finite, so the weights never take a NaN step.
    /// With a `trace`, every loss term and every gradient norm of the iteration is also recorded in it.
    @discardableResult
    public func run(captions: Tensor, lengths: [Int], imageInputs: Tensor, classIDs: [Int], labels: [Int],
                    trace: SENStepTrace? = nil) throws -> SENStepLosses {
        optimizer.zeroGrad()
        let speech = try model.speech(Variable(captions), lengths: lengths)
        let image = try model.image(Variable(imageInputs))
        var directions: (imageToSpeech: Variable, speechToImage: Variable)
        if let parallel {
            // A non-finite embedding stops the replica that made it, before the gathered loss spreads it to all.
            for e in [speech, image] {
                if let bad = e.value.scalars.first(where: { !$0.isFinite }) { throw NonFiniteLoss(name: "SEN", value: bad) }
            }
            let replicas = parallel.replicas
            let (allImages, allSpeech) = (try Variable.gatherRows(image, across: replicas).rows, try Variable.gatherRows(speech, across: replicas).rows)
            let ids = try Variable.gatherRows(Variable(Tensor(classIDs.map(Float.init))), across: replicas).rows.value.scalars.map { Int($0) }
            directions = try SENLosses.matchingTerms(image: allImages, speech: allSpeech, classIDs: ids, gamma: gamma)
        } else {
            directions = try SENLosses.matchingTerms(image: image, speech: speech, classIDs: classIDs, gamma: gamma)
        }
        let matching = try directions.imageToSpeech + directions.speechToImage
        var loss = matching
        var distinctive: Float?
        var classTerms: (image: Variable, speech: Variable)?
        if let classifier = model.classifier {
            let terms = try SENLosses.distinctiveTerms(classifier: classifier.linear, image: image, speech: speech, labels: labels)
            let d = try terms.image + terms.speech
            distinctive = d.value.scalars[0]
            loss = try loss + d
            classTerms = terms
        }
        let total = try NonFiniteLoss.check(loss.value.scalars[0], "SEN")
        try loss.backward()
        try parallel?.averageGradients(of: model)
        if let trace {
            (trace.imageToSpeech, trace.speechToImage) = (directions.imageToSpeech.value.scalars[0], directions.speechToImage.value.scalars[0])
            (trace.imageClass, trace.speechClass) = (classTerms?.image.value.scalars[0], classTerms?.speech.value.scalars[0])
            trace.total = total
            trace.gradientNorms = GradientNorm.of(model.speech, as: "audio") + GradientNorm.of(model.image, as: "image")
                + (model.classifier.map { GradientNorm.of($0, as: "class") } ?? [])
        }
        try optimizer.step()
        return SENStepLosses(total: total, matching: matching.value.scalars[0], distinctive: distinctive)
    }
}
