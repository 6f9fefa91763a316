import Foundation
import S2IGANFormats
import S2IGANNN
import S2IGANTensor

/// One SEN training iteration on given weights and a given batch, with everything it computed written out: the
/// debugging path of `sen step --dump`, for comparing one step with the reference's `steps/pre_traintest.py`.
///
/// The batch is one safetensors file: `captions` `[B, T, mel]` (zero past each length), `lengths` `[B]`,
/// `image_inputs` (`[B, 2048]` Inception features for the Inception encoder, `[B, 3, S, S]` pixels in [−1, 1] for
/// the convolutional one), `class_ids` `[B]` (the matching loss's mask) and, with a classifier, `labels` `[B]`
/// (0-based training classes); integers in any numeric type.
///
/// The output folder gets `step.json` (``SENStepTrace``) and the weights after the step under the reference's
/// names: `best_audio_model.safetensors`, `best_image_model.safetensors`, `best_class_model.safetensors`.
public enum SENStepDump {
    /// The inputs of one iteration.
    public struct Inputs {
        public var captions: Tensor
        public var lengths: [Int]
        public var imageInputs: Tensor
        public var classIDs: [Int]
        public var labels: [Int]

        public init(captions: Tensor, lengths: [Int], imageInputs: Tensor, classIDs: [Int], labels: [Int]) {
            (self.captions, self.lengths, self.imageInputs, self.classIDs, self.labels) = (captions, lengths, imageInputs, classIDs, labels)
        }
    }

    /// Reads and checks a batch file for `model` (see the type's documentation).
    public static func readInputs(_ url: URL, model: SENModel) throws -> Inputs {
        let file = try SafeTensorsFile.read(url)
        func fail(_ reason: String) -> SENError { SENError.file(path: url.path, reason: "step batch: " + reason) }
        func tensor(_ key: String) throws -> Tensor {
            guard let array = file.arrays[key] else { throw fail("no '\(key)'") }
            let t = array.tensor()
            guard t.isFinite else { throw fail("'\(key)' holds NaN or infinite values") }
            return t
        }
        func integers(_ key: String, count: Int, below limit: Int) throws -> [Int] {
            let values = try tensor(key).scalars
            guard values.count == count, values.allSatisfy({ $0 >= 0 && $0 < Float(limit) && $0 == $0.rounded() }) else {
                throw fail("'\(key)' must hold \(count) integers in 0..<\(limit)")
            }
            return values.map { Int($0) }
        }
        let captions = try tensor("captions")
        let mel = model.speech.configuration.melBands
        guard captions.rank == 3, captions.shape[0] > 0, captions.shape[2] == mel else {
            throw fail("'captions' is \(captions.shape), expected [B, T, \(mel)]")
        }
        let (b, frames) = (captions.shape[0], captions.shape[1])
        let lengths = try integers("lengths", count: b, below: frames + 1)
        let shortest = model.speech.configuration.minimumFrames
        guard lengths.allSatisfy({ $0 >= shortest }) else { throw fail("'lengths' \(lengths): every caption needs at least \(shortest) frames") }
        let images = try tensor("image_inputs")
        guard images.shape == [b] + model.image.inputShape else {
            throw fail("'image_inputs' is \(images.shape), the image encoder reads \([b] + model.image.inputShape)")
        }
        let classIDs = try integers("class_ids", count: b, below: Int(Int32.max))
        let labels = try model.classifier.map { try integers("labels", count: b, below: $0.linear.weight.shape[0]) } ?? Array(repeating: 0, count: b)
        return Inputs(captions: captions, lengths: lengths, imageInputs: images, classIDs: classIDs, labels: labels)
    }

    /// Runs one iteration of `step` on `inputs` and writes the folder `output` (see the type's documentation).
    @discardableResult
    public static func run(_ step: SENTrainingStep, inputs: Inputs, output: URL) throws -> SENStepTrace {
        let trace = SENStepTrace()
        try step.run(captions: inputs.captions, lengths: inputs.lengths, imageInputs: inputs.imageInputs, classIDs: inputs.classIDs,
                     labels: inputs.labels, trace: trace)
        try createFolder(output)
        try writeFileAtomically(try JSONEncoder.sorted.encode(trace), to: output.appendingPathComponent("step.json"))
        try step.model.saveParts(to: output)
        return trace
    }
}
