import S2IGANAutograd
import Foundation
import S2IGANMetrics
import S2IGANNN
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANSEN
import S2IGANFormats

/// Golden values from Tools/fixtures/make_sen_fixtures.py (PyTorch 2.15): a reduced speech encoder (convolutions
/// 40→16→24, GRU 20 per direction, attention 12) on a padded batch of lengths 61, 47, 30, in training and
/// evaluation mode; the losses on fixed embeddings; three Adam steps with coupled weight decay.
let fixtures = FixtureFolder(besides: #filePath)

@Suite struct SpeechEncoderTests {
    let file: SafeTensorsFile

    init() throws { file = try fixtures.load("sen") }

    func t(_ name: String) throws -> Tensor { try file.tensor(name) }

    static var reduced: SpeechEncoderConfiguration {
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.attentionHidden) = ([16, 24], 20, 12)
        return c
    }

    /// The fixture's encoder; the PyTorch model it was written from attends over the padding, as the reference does.
    func loadedEncoder(attentionOverPadding: Bool = true) throws -> SpeechEncoder {
        var c = Self.reduced
        c.attentionOverPadding = attentionOverPadding
        let encoder = try SpeechEncoder(c)
        var weights: [String: Tensor] = [:]
        for name in file.arrays.keys where name.hasPrefix("enc.param.") { weights[String(name.dropFirst(10))] = try t(name) }
        try encoder.load(stateDict: weights, strict: false)
        let loaded = Set(weights.keys), expected = Set(encoder.stateDictKeys.filter { !$0.hasSuffix("num_batches_tracked") })
        #expect(loaded == expected)
        return encoder
    }

    @Test func referenceConfigurationHasTheReferenceParameterCountAndNames() throws {
        let encoder = try SpeechEncoder()
        #expect(encoder.parameters().reduce(0) { $0 + $1.value.count } == 7_025_344)
        let keys = encoder.stateDictKeys
        for name in ["Conv1.weight", "bnorm1.running_mean", "bnorm1.num_batches_tracked", "Conv2.bias", "rnn.weight_ih_l0",
                     "rnn.weight_hh_l1_reverse", "att.att_heads.0.hidden.weight", "att.att_heads.0.out.bias"] {
            #expect(keys.contains(name), "\(name)")
        }
        // The attention's hidden weight is orthogonal: its 128 rows are orthonormal.
        let w = encoder.att.attentionHeads[0].hidden.weight.value
        let gram = try Tensor.matmul(w, w, transposeB: true)
        let identity = try Tensor(shape: [128, 128], scalars: (0..<(128 * 128)).map { $0 / 128 == $0 % 128 ? 1 : 0 })
        expectClose(gram, identity, rtol: 0, atol: 1e-4, "W Wᵀ")
        #expect(SpeechEncoderConfiguration().minimumFrames == 16)
        #expect(SpeechEncoderConfiguration().encodedLength(61) == 12)
    }

    @Test func trainingModeForwardAndBackwardMatchPyTorch() throws {
        let encoder = try loadedEncoder()
        encoder.train()
        let x = Variable(try t("enc.x"), requiresGrad: true)
        let lengths = try t("enc.lengths").scalars.map { Int($0) }
        let out = try encoder(x, lengths: lengths)
        expectClose(out.value, try t("enc.train.out"), rtol: 1e-4, atol: 2e-6, "train out")
        try (out * Variable(t("enc.train.g"))).sum().backward()
        expectClose(try #require(x.grad), try t("enc.train.grad.x"), rtol: 1e-3, atol: 2e-6, "grad x")
        for (name, p) in encoder.namedParameters() {
            expectClose(try #require(p.grad, "\(name)"), try t("enc.train.grad.\(name)"), rtol: 1e-3, atol: 5e-6, "grad \(name)")
        }
        for name in ["bnorm1.running_mean", "bnorm1.running_var", "bnorm2.running_mean", "bnorm2.running_var"] {
            let buffer = try #require(encoder.namedBuffers().first { $0.0 == name }?.1)
            expectClose(buffer.value, try t("enc.train.after.\(name)"), rtol: 1e-4, atol: 1e-5, name)
        }
    }

    @Test func evaluationModeAndSingleUtterancesMatchPyTorch() throws {
        let encoder = try loadedEncoder()
        encoder.train()
        let x = try t("enc.x"), lengths = try t("enc.lengths").scalars.map { Int($0) }
        _ = try encoder(Variable(x), lengths: lengths)  // moves the running statistics as PyTorch's training pass did
        encoder.eval()
        let input = Variable(x, requiresGrad: true)
        let out = try encoder(input, lengths: lengths)
        expectClose(out.value, try t("enc.eval.out"), rtol: 1e-4, atol: 2e-6, "eval out")
        try (out * Variable(t("enc.train.g"))).sum().backward()
        expectClose(try #require(input.grad), try t("enc.eval.grad.x"), rtol: 1e-3, atol: 2e-6, "eval grad x")
        let singles = try (0..<3).map { i in try x.slice(axis: 0, start: i, end: i + 1).reshaped([61, 40]).slice(axis: 0, start: 0, end: lengths[i]) }
        let embedded = try encoder.embed(singles)
        for i in 0..<3 {
            expectClose(try embedded.slice(axis: 0, start: i, end: i + 1), try t("enc.eval.single.\(i)"), rtol: 1e-4, atol: 2e-6, "single \(i)")
        }
        #expect(encoder.isTraining == false)
    }

    /// By default each caption of a padded batch attends to its own steps only, so the batch gives every caption's
    /// embedding as PyTorch gives it for that caption alone (packed GRU); attending over the padding (the reference)
    /// does not.
    @Test func aPaddedBatchEmbedsEachCaptionAsIfItWereAlone() throws {
        let x = try t("enc.x"), lengths = try t("enc.lengths").scalars.map { Int($0) }
        var outputs: [Bool: Tensor] = [:]
        for overPadding in [false, true] {
            let encoder = try loadedEncoder(attentionOverPadding: overPadding)
            encoder.train()
            _ = try encoder(Variable(x), lengths: lengths)  // the running statistics of PyTorch's training pass
            encoder.eval()
            outputs[overPadding] = try GradientMode.withoutGradient { try encoder(Variable(x), lengths: lengths).value }
        }
        for i in 0..<3 {
            let alone = try t("enc.eval.single.\(i)")
            expectClose(try #require(outputs[false]).slice(axis: 0, start: i, end: i + 1), alone, rtol: 1e-4, atol: 2e-6, "caption \(i) in the batch")
            let reference = try #require(outputs[true]).slice(axis: 0, start: i, end: i + 1)
            let difference = zip(reference.scalars, alone.scalars).map { abs($0 - $1) }.max() ?? 0
            // The longest caption has no padding; the shorter ones move when the padding takes attention.
            #expect(i == 0 ? difference < 1e-5 : difference > 1e-3, "caption \(i): \(difference)")
        }
    }

    /// `best_audio_model.pth` / `best_image_model.pth` as the reference saves them (DataParallel's `module.` names,
    /// int64 `num_batches_tracked`), written by Tools/fixtures/make_sen_pth_fixtures.py from the same weights.
    @Test func theReferencesCheckpointFilesLoadDirectly() throws {
        let encoder = try SpeechEncoder.load(from: fixtures.url("best_audio_model.pth"))
        #expect(encoder.configuration == Self.reduced && !encoder.isTraining)
        let x = try t("enc.x"), lengths = try t("enc.lengths").scalars.map { Int($0) }
        let singles = try (0..<3).map { i in try x.slice(axis: 0, start: i, end: i + 1).reshaped([61, 40]).slice(axis: 0, start: 0, end: lengths[i]) }
        let embedded = try encoder.embed(singles)
        for i in 0..<3 {
            expectClose(try embedded.slice(axis: 0, start: i, end: i + 1), try t("enc.eval.single.\(i)"), rtol: 1e-4, atol: 2e-6, "single \(i)")
        }
        let image = try InceptionImageEncoder(embeddingSize: 4)
        try image.loadWeights(from: fixtures.url("best_image_model.pth"))
        // torch.manual_seed(7); nn.Linear(2048, 4): weight[0, :3] and the bias, as PyTorch prints them.
        expectClose(try image.projection.weight.value.slice(axis: 1, start: 0, end: 3).slice(axis: 0, start: 0, end: 1),
                    try Tensor(shape: [1, 3], scalars: [0.0015, -0.0133, 0.0070]), rtol: 0, atol: 5e-5)
        expectClose(image.projection.bias!.value, try Tensor(shape: [4], scalars: [0.0194, -0.0087, -0.0209, 0.0010]), rtol: 0, atol: 5e-5)
        #expect(throws: (any Error).self) { try InceptionImageEncoder(embeddingSize: 8).loadWeights(from: fixtures.url("best_image_model.pth")) }
    }

    @Test func tooShortOrMisshapenInputIsAnError() throws {
        let encoder = try SpeechEncoder(Self.reduced)
        let x = Variable(try Tensor.zeros([2, 20, 40]))
        #expect(throws: SENError.self) { try encoder(x, lengths: [20, 15]) }
        #expect(throws: SENError.self) { try encoder(x, lengths: [21, 16]) }
        #expect(throws: SENError.self) { try encoder(Variable(try Tensor.zeros([2, 20, 39])), lengths: [20, 16]) }
        #expect(try encoder(x, lengths: [20, 16]).shape == [2, 40])
    }

    @Test func lossesMatchPyTorch() throws {
        let v = Variable(try t("loss.v"), requiresGrad: true), s = Variable(try t("loss.s"), requiresGrad: true)
        let classes = try t("loss.c").scalars.map { Int($0) }, labels = try t("loss.y").scalars.map { Int($0) }
        let classifier = try Linear(16, 4)
        classifier.weight.value = try t("loss.classifier.weight")
        classifier.bias!.value = try t("loss.classifier.bias")
        let match = try SENLosses.matching(image: v, speech: s, classIDs: classes)
        let dist = try SENLosses.distinctive(classifier: classifier, image: v, speech: s, labels: labels)
        expectClose(try match.value.reshaped([1]), try t("loss.match"), rtol: 1e-5, atol: 1e-6, "match")
        expectClose(try dist.value.reshaped([1]), try t("loss.dist"), rtol: 1e-5, atol: 1e-6, "dist")
        try (match + dist).backward()
        expectClose(try #require(v.grad), try t("loss.grad.v"), rtol: 1e-4, atol: 1e-6, "grad v")
        expectClose(try #require(s.grad), try t("loss.grad.s"), rtol: 1e-4, atol: 1e-6, "grad s")
        expectClose(try #require(classifier.weight.grad), try t("loss.grad.classifier.weight"), rtol: 1e-4, atol: 1e-6, "grad W")
        expectClose(try #require(classifier.bias!.grad), try t("loss.grad.classifier.bias"), rtol: 1e-4, atol: 1e-6, "grad b")

        let v2 = Variable(try t("loss.v"), requiresGrad: true), s2 = Variable(try t("loss.s"), requiresGrad: true)
        let unmasked = try SENLosses.matching(image: v2, speech: s2, classIDs: Array(1...6))
        expectClose(try unmasked.value.reshaped([1]), try t("loss2.match"), rtol: 1e-5, atol: 1e-6, "match unmasked")
        try unmasked.backward()
        expectClose(try #require(v2.grad), try t("loss2.grad.v"), rtol: 1e-4, atol: 1e-6, "grad v unmasked")
        expectClose(try #require(s2.grad), try t("loss2.grad.s"), rtol: 1e-4, atol: 1e-6, "grad s unmasked")
        #expect(throws: SENError.self) { try SENLosses.matching(image: v, speech: s, classIDs: [1, 2]) }
    }

    @Test func referenceAdamMatchesPyTorch() throws {
        let p = Variable.parameter(try t("adam.p0"))
        let adam = try Adam(parameters: [p], learningRate: 1e-3, betas: (0.95, 0.999), weightDecay: 1e-3)
        for k in 1...3 {
            p.grad = try t("adam.g\(k)")
            try adam.step()
            expectClose(p.value, try t("adam.p\(k)"), rtol: 1e-6, atol: 1e-7, "step \(k)")
        }
    }

    @Test func speechToImageMAPByHand() throws {
        // Two classes of two pairs. Class 1's query (pair 0, speech (1, 0)) scores the images 1, 0.0995, 0.8, 0.6, so it
        // ranks them 0, 2, 3, 1: its relevant images 0 and 1 are at ranks 1 and 4, AP = (1/1 + 2/4) / 2. Class 2's query
        // (pair 2) ranks 2, 3, 0, 1: AP = 1.
        let speech = try Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 0.8, 0.6, 0, 1])
        let image = try Tensor(shape: [4, 2], scalars: [1, 0, 0.1, 1, 0.8, 0.6, 0.6, 0.8])
        let map = try Retrieval.speechToImageMAP(speech: speech, image: image, classIDs: [1, 1, 2, 2])
        #expect(abs(map - ((1.0 + 2.0 / 4.0) / 2 + 1) / 2) < 1e-9)
        #expect(throws: MetricsError.self) { try Retrieval.speechToImageMAP(speech: speech, image: image, classIDs: [1]) }
    }
}
