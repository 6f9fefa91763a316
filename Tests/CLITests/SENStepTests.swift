import Foundation
import S2IGANFormats
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import TestSupport
import Testing

/// `sen step --dump` on a run folder of weights, against the authors' loop (`Tests/SENTests/Fixtures/sen_reference_step.safetensors`,
/// written by `Tools/fixtures/make_sen_reference_fixtures.py` from their classes on hashed weights).
@Suite struct SENStepCLITests {
    @Test func stepDumpsTheReferenceLosses() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let file = try SafeTensorsFile.read(tests.appendingPathComponent("SENTests/Fixtures/sen_reference_step.safetensors"))
        let root = try scratchFolder("sen-step")
        defer { try? FileManager.default.removeItem(at: root) }
        // Their sizes and hashed weights, saved as a run's models/.
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.attentionHidden) = ([16, 24], 20, 12)
        let model = SENModel(speech: try SpeechEncoder(c), image: try InceptionImageEncoder(embeddingSize: 40),
                             classifier: try SENClassifier(embeddingSize: 40, classes: 5))
        for (name, part) in [("audio", model.speech), ("image", model.image), ("class", model.classifier!)] as [(String, Module)] {
            try part.load(stateDict: HashedValues.stateDict(like: part.stateDict(), prefix: name))
        }
        try model.saveParts(to: root.appendingPathComponent("run/models"))
        var batch = SafeTensorsFile(metadata: [:])
        for (key, source) in [("captions", "captions"), ("lengths", "lengths"), ("image_inputs", "image_features"), ("class_ids", "class_ids"),
                              ("labels", "labels")] {
            let value: TypedArray = try #require(file.arrays["batch.\(source)"])
            batch.arrays[key] = value
        }
        let batchFile = root.appendingPathComponent("batch.safetensors")
        try batch.write(to: batchFile)
        // Their padded batches attend over the padding.
        let config = root.appendingPathComponent("reference.yml")
        try "speech_encoder:\n  attention_over_padding: true\n".write(to: config, atomically: true, encoding: .utf8)
        let dump = root.appendingPathComponent("dump")
        let result = try runCLI(["sen", "step", "--model", root.appendingPathComponent("run").path, "--batch", batchFile.path,
                                 "--dump", dump.path, "--config", config.path])
        #expect(result.status == 0, "\(result.stderr)")
        let trace = try JSONDecoder().decode(SENStepTrace.self, from: Data(contentsOf: dump.appendingPathComponent("step.json")))
        let expected = try file.tensor("loss").scalars
        let got = [trace.imageToSpeech, trace.speechToImage, trace.imageClass ?? .nan, trace.speechClass ?? .nan, trace.total]
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 2e-6 + 1e-4 * abs($1) }, "\(got) vs \(expected)")
        for name in [SENModel.speechFile, SENModel.imageFile, SENModel.classifierFile] {
            #expect(FileManager.default.fileExists(atPath: dump.appendingPathComponent(name).path), "\(name)")
        }
        // A batch without its labels: one line naming the file and the key.
        batch.arrays["labels"] = nil
        try batch.write(to: batchFile)
        expectOneLineFailure(try runCLI(["sen", "step", "--model", root.appendingPathComponent("run").path, "--batch", batchFile.path,
                                         "--dump", dump.path]), naming: batchFile.path, ["'labels'"])
    }
}
