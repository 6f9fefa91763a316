import Foundation
import S2IGANAutograd
import S2IGANFormats
import S2IGANNN
import S2IGANTensor
import S2IGANTraining
import TestSupport
import Testing
@testable import S2IGANSEN

/// One SEN iteration and padded-batch embeddings against the authors' own classes and functions (`CNN_RNN_ENCODER`,
/// `LINEAR_ENCODER`, `CLASSIFIER`, `batch_loss` and the loop body of `steps/pre_traintest.py` at their commit 8cca123,
/// run by `Tools/fixtures/make_sen_reference_fixtures.py`, whose docstring lists its patches and every key of
/// `Fixtures/sen_reference_step.safetensors`). The weights are hashed values both sides compute (``HashedValues``).
@Suite struct ReferenceSENStepTests {
    static let file: SafeTensorsFile? = try? fixtures.load("sen_reference_step")
    static func fixture() throws -> SafeTensorsFile { try #require(file, "sen_reference_step.safetensors is missing") }

    /// Their sizes in the script: convolutions 40 → 16 → 24, GRU 20 × 2 layers, attention 12, embeddings 40, 5 classes.
    static func model(attentionOverPadding: Bool = true) throws -> SENModel {
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.attentionHidden, c.attentionOverPadding) = ([16, 24], 20, 12, attentionOverPadding)
        let model = SENModel(speech: try SpeechEncoder(c), image: try InceptionImageEncoder(embeddingSize: 40),
                             classifier: try SENClassifier(embeddingSize: 40, classes: 5))
        for (name, part) in parts(model) {
            try part.load(stateDict: HashedValues.stateDict(like: part.stateDict(), prefix: name))
        }
        model.train()
        return model
    }

    static func parts(_ m: SENModel) -> [(String, Module)] { [("audio", m.speech), ("image", m.image), ("class", m.classifier!)] }

    static func inputs() throws -> SENStepDump.Inputs {
        let file = try fixture()
        func ints(_ key: String) throws -> [Int] { try file.tensor(key).scalars.map { Int($0) } }
        return SENStepDump.Inputs(captions: try file.tensor("batch.captions"), lengths: try ints("batch.lengths"),
                                  imageInputs: try file.tensor("batch.image_features"), classIDs: try ints("batch.class_ids"),
                                  labels: try ints("batch.labels"))
    }

    @Test func oneIterationMatchesTheirLoopTermByTerm() throws {
        let file = try Self.fixture()
        let model = try Self.model()
        // Their bird configuration: Adam β (0.95, 0.999), lr 1e-3, coupled weight decay 1e-3, γ3 10, both loss weights 1.
        let step = try SENTrainingStep(model: model, configuration: .defaults(for: .cub))
        #expect(step.optimizer.learningRate == 1e-3 && step.gamma == 10)
        let folder = temporaryRoot("sen-reference-step")
        defer { try? FileManager.default.removeItem(at: folder) }
        let trace = try SENStepDump.run(step, inputs: Self.inputs(), output: folder)

        let expected = try file.tensor("loss").scalars
        let got = [trace.imageToSpeech, trace.speechToImage, try #require(trace.imageClass), try #require(trace.speechClass), trace.total]
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 2e-6 + 1e-4 * abs($1) }, "\(got) vs \(expected)")

        // Gradient norms. Four parameters have a true gradient of 0 (the batch statistics of bnorm2 cancel both
        // convolution biases and bnorm1's shift; the softmax over time cancels the attention's output bias): both sides
        // hold rounding noise there.
        let zeroGradient: Set<String> = ["Conv1.bias", "Conv2.bias", "bnorm1.bias", "att.att_heads.0.out.bias"]
        #expect(trace.gradientNorms.count == file.arrays.keys.filter { $0.hasPrefix("gradnorm.") }.count)
        for norm in trace.gradientNorms {
            let reference = try file.tensor("gradnorm.\(norm.network).\(norm.parameter)").item()
            if norm.network == "audio" && zeroGradient.contains(norm.parameter) {
                #expect(norm.norm < 1e-4 && reference < 1e-4, "\(norm.parameter): \(norm.norm) vs \(reference)")
            } else {
                #expect(abs(norm.norm - reference) <= 1e-6 + 3e-3 * reference, "\(norm.network).\(norm.parameter): \(norm.norm) vs \(reference)")
            }
        }

        // The weights after the step: before + the script's change. Adam's first step moves every element by about
        // lr; where the gradient is 0, weight decay decides its sign (one element of Conv2.bias is so small that
        // rounding does), so elements agree within 2 lr and, on average, far better.
        for (name, part) in Self.parts(model) {
            let before = try HashedValues.stateDict(like: part.stateDict(), prefix: name)
            let parameters = Set(part.namedParameters().map(\.0))
            for (key, value) in part.stateDict() {
                if parameters.contains(key) {
                    let want = try before[key]! + file.tensor("delta.\(name).\(key)").reshaped(value.shape)
                    expectClose(value, want, rtol: 0, atol: 2.1e-3, "\(name).\(key)")
                    let mean = zip(value.scalars, want.scalars).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(value.count)
                    #expect(mean < 1e-4 || key == "Conv2.bias", "\(name).\(key): mean difference \(mean)")
                } else {
                    expectClose(value, try file.tensor("after.\(name).\(key)").reshaped(value.shape), rtol: 1e-4, atol: 1e-5, "\(name).\(key)")
                }
            }
        }
        // The dump holds the stepped weights under the reference's file names.
        let written = try SafeTensorsFile.read(folder.appendingPathComponent(SENModel.classifierFile))
        #expect(try #require(written.arrays["L1.weight"]).tensor().scalars == model.classifier!.linear.weight.value.scalars)
        let json = try JSONDecoder().decode(SENStepTrace.self, from: Data(contentsOf: folder.appendingPathComponent("step.json")))
        #expect(json.total == trace.total && json.gradientNorms == trace.gradientNorms)
    }

    /// Their encoder on a padded batch attends over the padding of the shorter captions, so only the longest one
    /// comes out as it does alone. With `attention_over_padding` (the reference's behaviour) ours gives their batch;
    /// without (the default) every caption's embedding is their embedding of that caption alone.
    @Test func paddedBatchesAgainstTheirPackedEncoder() throws {
        let file = try Self.fixture()
        let inputs = try Self.inputs()
        for overPadding in [true, false] {
            let encoder = try Self.model(attentionOverPadding: overPadding).speech
            encoder.eval()
            let batch = try GradientMode.withoutGradient { try encoder(Variable(inputs.captions), lengths: inputs.lengths).value }
            if overPadding {
                expectClose(batch, try file.tensor("eval.batch"), rtol: 1e-4, atol: 2e-6, "their padded batch")
            } else {
                for i in 0..<4 {
                    expectClose(try batch.slice(axis: 0, start: i, end: i + 1), try file.tensor("eval.single.\(i)"), rtol: 1e-4, atol: 2e-6,
                                "caption \(i) alone")
                }
            }
        }
        // One at a time (the reference's extraction) both agree with their single-caption embeddings.
        let singles = try (0..<4).map { i in
            try inputs.captions.slice(axis: 0, start: i, end: i + 1).reshaped([61, 40]).slice(axis: 0, start: 0, end: inputs.lengths[i])
        }
        let embedded = try Self.model(attentionOverPadding: true).speech.embed(singles)
        for i in 0..<4 {
            expectClose(try embedded.slice(axis: 0, start: i, end: i + 1), try file.tensor("eval.single.\(i)"), rtol: 1e-4, atol: 2e-6, "single \(i)")
        }
    }
}
