import Foundation
import S2IGANAutograd
import S2IGANFormats
import S2IGANNN
import S2IGANTensor

/// One RDG training iteration on given weights and a given batch, with everything it computed written out: the
/// debugging path of `gan step --dump`, for comparing one step with the reference's `trainer.py`.
///
/// The batch is one safetensors file:
/// - `real.0`, `real.1`, … `[B, 3, S, S]` (64, 128, 256 px; as many scales as stages should train), `wrong.<i>` the
///   same, `similar` `[B, 3, S, S]` at the last scale: U8 pixels (mapped to `x / 127.5 − 1`) or floats in [−1, 1];
/// - `embeddings` `[B, D]`, `noise` `[B, z]` (the generator's z) and `epsilon` `[B, c]` (the conditioning noise).
///
/// The output folder gets `step.json` (``RDGStepTrace``: every loss term, every gradient norm),
/// `losses.json` (the logged ``RDGLosses``), and the weights after the step: `netG.safetensors` (the live generator),
/// `netG_average.safetensors` (its moving average, with the live BatchNorm buffers), `netD<i>.safetensors` and
/// `netMD.safetensors`, all under the reference's state-dict names.
public enum RDGStepDump {
    /// The inputs of one iteration.
    public struct Inputs {
        public var batch: RDGBatch
        public var noise: Tensor
        public var epsilon: Tensor
    }

    /// Reads and checks a batch file for `architecture` (see the type's documentation).
    public static func readInputs(_ url: URL, architecture a: RDGArchitecture) throws -> Inputs {
        let file = try SafeTensorsFile.read(url)
        func fail(_ reason: String) -> GANError { GANError.file(path: url.path, reason: "step batch: " + reason) }
        func tensor(_ key: String, _ shape: [Int], images: Bool) throws -> Tensor {
            guard let array = file.arrays[key] else { throw fail("no '\(key)'") }
            guard array.shape == shape else { throw fail("'\(key)' is \(array.shape), expected \(shape)") }
            let t = array.tensor()
            guard t.isFinite else { throw fail("'\(key)' holds NaN or infinite values") }
            return images && array.scalarType == .uint8 ? try signedPixels(t) : t
        }
        guard let embeddings = file.arrays["embeddings"], embeddings.shape.count == 2, embeddings.shape[0] > 0 else {
            throw fail("no 2-d 'embeddings' [B, \(a.speechEmbeddingSize)]")
        }
        let n = embeddings.shape[0]
        let stages = (0..<a.stages).prefix { file.arrays["real.\($0)"] != nil }.count
        guard stages > 0 else { throw fail("no 'real.0'") }
        let sizes = Array(a.imageSizes.prefix(stages))
        let real = try sizes.enumerated().map { try tensor("real.\($0.offset)", [n, 3, $0.element, $0.element], images: true) }
        let wrong = try sizes.enumerated().map { try tensor("wrong.\($0.offset)", [n, 3, $0.element, $0.element], images: true) }
        let similar = try tensor("similar", [n, 3, sizes[stages - 1], sizes[stages - 1]], images: true)
        return Inputs(batch: RDGBatch(real: real, wrong: wrong, similar: similar,
                                      embeddings: try tensor("embeddings", [n, a.speechEmbeddingSize], images: false)),
                      noise: try tensor("noise", [n, a.noiseSize], images: false),
                      epsilon: try tensor("epsilon", [n, a.conditionSize], images: false))
    }

    /// 8-bit pixel values as generator-range floats, `x / 127.5 − 1` with a true division per element (as
    /// `u8.float() / 127.5 - 1` in PyTorch, bit for bit).
    public static func signedPixels(_ values: Tensor) throws -> Tensor {
        try Tensor(shape: values.shape, scalars: values.scalars.map { $0 / 127.5 - 1 })
    }

    /// Runs one iteration of `step` on `inputs` and writes the folder `output` (see the type's documentation).
    @discardableResult
    public static func run(_ step: RDGTrainingStep, inputs: Inputs, output: URL) throws -> RDGStepTrace {
        let trace = RDGStepTrace()
        let losses = try step.run(inputs.batch, noise: inputs.noise, epsilon: inputs.epsilon, trace: trace)
        try createFolder(output)
        try writeFileAtomically(try JSONEncoder.sorted.encode(trace), to: output.appendingPathComponent("step.json"))
        try writeFileAtomically(try JSONEncoder.sorted.encode(losses), to: output.appendingPathComponent("losses.json"))
        try step.generator.save(to: output.appendingPathComponent("netG.safetensors"))
        try step.withAveragedGenerator { try $0.save(to: output.appendingPathComponent("netG_average.safetensors")) }
        for (i, d) in step.discriminators.enumerated() { try d.save(to: output.appendingPathComponent("netD\(i).safetensors")) }
        try step.relationSupervisor?.save(to: output.appendingPathComponent("netMD.safetensors"))
        return trace
    }
}
