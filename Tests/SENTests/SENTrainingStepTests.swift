import Foundation
import S2IGANAutograd
import S2IGANNN
import S2IGANTensor
import S2IGANTraining
import Testing
@testable import S2IGANSEN

/// One SEN iteration: the losses it reports are the losses of its inputs, it moves the weights downhill, and a
/// non-finite loss stops it before any weight changes.
@Suite struct SENTrainingStepTests {
    /// A speech encoder with 16-d embeddings, the Inception projection on 2048-d features, and 3 classes.
    func model(classifier: Bool = true) throws -> SENModel {
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.attentionHidden) = ([8, 12], 8, 6)
        return try Initialization.seeded(4) {
            SENModel(speech: try SpeechEncoder(c), image: try InceptionImageEncoder(embeddingSize: 16),
                     classifier: classifier ? try SENClassifier(embeddingSize: 16, classes: 3) : nil)
        }
    }

    /// Four captions of 40 frames padded from their lengths (longest first), 2048-d image features, classes 0, 1, 1, 2.
    func batch() throws -> (captions: Tensor, lengths: [Int], features: Tensor, classes: [Int]) {
        var rng = RandomGenerator(seed: 11)
        let lengths = [40, 36, 30, 24]
        var mel = try Tensor.normal([4, 40, 40], using: &rng).scalars
        for (i, length) in lengths.enumerated() { for t in length..<40 { for f in 0..<40 { mel[(i * 40 + t) * 40 + f] = 0 } } }
        return (try Tensor(shape: [4, 40, 40], scalars: mel), lengths, try Tensor.normal([4, 2048], using: &rng), [0, 1, 1, 2])
    }

    @Test func reportsItsLossesAndDescends() throws {
        let m = try model()
        let step = try SENTrainingStep(model: m, configuration: .defaults(for: .cub))
        #expect(step.gamma == 10 && step.optimizer.learningRate == 1e-3)
        let b = try batch()
        // The losses of the same forward pass, computed here from SENLosses.
        let speech = try m.speech(Variable(b.captions), lengths: b.lengths), image = try m.image(Variable(b.features))
        let matching = try SENLosses.matching(image: image, speech: speech, classIDs: b.classes, gamma: 10).value.item()
        let distinctive = try SENLosses.distinctive(classifier: m.classifier!.linear, image: image, speech: speech, labels: b.classes).value.item()
        let before = m.trainableParameters().map(\.value.scalars)
        let first = try step.run(captions: b.captions, lengths: b.lengths, imageInputs: b.features, classIDs: b.classes, labels: b.classes)
        #expect(first.matching == matching && first.distinctive == distinctive)
        #expect(abs(first.total - (matching + distinctive)) <= 1e-6 * abs(first.total))
        #expect(m.trainableParameters().map(\.value.scalars) != before, "the optimiser stepped")
        var last = first
        for _ in 0..<5 { last = try step.run(captions: b.captions, lengths: b.lengths, imageInputs: b.features, classIDs: b.classes, labels: b.classes) }
        #expect(last.total < first.total, "\(first.total) → \(last.total)")
    }

    @Test func withoutAClassifierOnlyTheMatchingLoss() throws {
        let step = try SENTrainingStep(model: try model(classifier: false), configuration: .defaults(for: .flickr8k))
        let b = try batch()
        let losses = try step.run(captions: b.captions, lengths: b.lengths, imageInputs: b.features, classIDs: [0, 1, 2, 3], labels: [0, 0, 0, 0])
        #expect(losses.distinctive == nil && losses.total == losses.matching && losses.total.isFinite)
    }

    @Test func aNonFiniteLossStopsBeforeTheStep() throws {
        let m = try model()
        let step = try SENTrainingStep(model: m, configuration: .defaults(for: .cub))
        step.gamma = .nan
        let b = try batch()
        let before = m.trainableParameters().map(\.value.scalars)
        #expect { try step.run(captions: b.captions, lengths: b.lengths, imageInputs: b.features, classIDs: b.classes, labels: b.classes) } throws: {
            ($0 as? NonFiniteLoss)?.name == "SEN" && "\($0)" == "the SEN loss became nan"
        }
        #expect(m.trainableParameters().map(\.value.scalars) == before)
    }
}
