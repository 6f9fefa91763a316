import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor

/// The sizes of a ``SpeechEncoder``; the defaults are the reference configuration (spec 2.1).
public struct SpeechEncoderConfiguration: Sendable, Equatable, Codable {
    public var melBands = 40
    /// Channels of the two convolutions (`CNNRNN.hid_channels` 64, then 128).
    public var convolutionChannels = [64, 128]
    public var kernelSize = 6
    public var stride = 2
    /// Hidden units per direction of the bidirectional GRU.
    public var hiddenSize = 512
    public var recurrentLayers = 2
    /// Hidden units of the feature-wise attention.
    public var attentionHidden = 128
    /// Whether the attention's softmax also runs over the zero padding of the shorter utterances of a batch, as the
    /// reference's does (spec 2.1): their embeddings then depend on the batch they are in. Off (the default), each
    /// utterance attends to its own steps only, so a padded batch gives every utterance's embedding as if it were
    /// alone. One utterance at a time, both are the same. Not a size: the weights do not record it.
    public var attentionOverPadding = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case melBands = "mel_bands", convolutionChannels = "conv_channels", kernelSize = "kernel_size", stride
        case hiddenSize = "hidden_size", recurrentLayers = "layers", attentionHidden = "attention_hidden"
        case attentionOverPadding = "attention_over_padding"
    }

    /// Decodes the keys present and keeps the reference's value for the others.
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        melBands = try c.decodeIfPresent(Int.self, forKey: .melBands) ?? melBands
        convolutionChannels = try c.decodeIfPresent([Int].self, forKey: .convolutionChannels) ?? convolutionChannels
        kernelSize = try c.decodeIfPresent(Int.self, forKey: .kernelSize) ?? kernelSize
        stride = try c.decodeIfPresent(Int.self, forKey: .stride) ?? stride
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        recurrentLayers = try c.decodeIfPresent(Int.self, forKey: .recurrentLayers) ?? recurrentLayers
        attentionHidden = try c.decodeIfPresent(Int.self, forKey: .attentionHidden) ?? attentionHidden
        // Absent in files written before the setting existed, whose encoders attended over the padding: a run made
        // then resumes (or is refused) as what it was. Configuration files are read over the defaults and get false.
        attentionOverPadding = try c.decodeIfPresent(Bool.self, forKey: .attentionOverPadding) ?? true
    }

    /// The configuration of a speech encoder state dict, read from its shapes (the stride, which leaves no
    /// trace in the weights, is taken from `stride`).
    public init(stateDict: [String: Tensor], stride: Int = 2) throws {
        func shape(_ name: String) throws -> [Int] {
            guard let t = stateDict[name] else { throw SENError.invalidConfiguration("speech encoder weights: missing '\(name)'") }
            return t.shape
        }
        let conv1 = try shape("Conv1.weight"), conv2 = try shape("Conv2.weight"), hh = try shape("rnn.weight_hh_l0")
        let attention = try shape("att.att_heads.0.hidden.weight")
        guard conv1.count == 3, conv2.count == 3, hh.count == 2, attention.count == 2 else {
            throw SENError.shapeMismatch("speech encoder weights: Conv1 \(conv1), Conv2 \(conv2), rnn \(hh), attention \(attention) are not a speech encoder's")
        }
        self.init()
        melBands = conv1[1]
        convolutionChannels = [conv1[0], conv2[0]]
        kernelSize = conv1[2]
        self.stride = stride
        hiddenSize = hh[1]
        recurrentLayers = (0...).first { stateDict["rnn.weight_ih_l\($0)"] == nil } ?? 0
        attentionHidden = attention[0]
    }

    /// A size as text, for messages.
    func value(of key: CodingKeys) -> String {
        switch key {
        case .melBands: return "\(melBands)"
        case .convolutionChannels: return "\(convolutionChannels)"
        case .kernelSize: return "\(kernelSize)"
        case .stride: return "\(stride)"
        case .hiddenSize: return "\(hiddenSize)"
        case .recurrentLayers: return "\(recurrentLayers)"
        case .attentionHidden: return "\(attentionHidden)"
        case .attentionOverPadding: return "\(attentionOverPadding)"
        }
    }

    /// The embedding width: both GRU directions.
    public var embeddingSize: Int { 2 * hiddenSize }

    /// The largest value each size may take: far above any published speech encoder (the reference: 40 bands,
    /// widths 64 and 128, kernel 6, 512 hidden units, 2 layers, attention 128), low enough that a mistyped or
    /// hostile size is an error before anything is allocated instead of a crash while building.
    public static let limits: [String: Int] = [
        "mel_bands": 1024, "conv_channels": 4096, "kernel_size": 64, "stride": 64, "hidden_size": 4096, "layers": 16, "attention_hidden": 4096,
    ]

    /// The number of weights the encoder has: two convolutions with their BatchNorms, the bidirectional GRU and
    /// the attention (exact; checked against a built encoder in the tests).
    public var parameterCount: Int {
        let (c0, c1, h) = (convolutionChannels.first ?? 0, convolutionChannels.last ?? 0, hiddenSize)
        let convolutions = c0 * melBands * kernelSize + c0 + c1 * c0 * kernelSize + c1 + 2 * (c0 + c1)
        let gru = (0..<recurrentLayers).reduce(0) { total, layer in total + 2 * 3 * h * ((layer == 0 ? c1 : 2 * h) + h + 2) }
        let attention = 2 * attentionHidden * embeddingSize + attentionHidden + embeddingSize
        return convolutions + gru + attention
    }

    /// Throws naming the first size that is not positive, breaks the encoder's shape rules or exceeds ``limits``.
    public func validate() throws {
        func fail(_ message: String) -> SENError { SENError.invalidInput("speech encoder: \(message)") }
        guard convolutionChannels.count == 2 else { throw fail("conv_channels must hold two widths, got \(convolutionChannels)") }
        let sizes = [("mel_bands", melBands), ("conv_channels", convolutionChannels[0]), ("conv_channels", convolutionChannels[1]),
                     ("kernel_size", kernelSize), ("stride", stride), ("hidden_size", hiddenSize), ("layers", recurrentLayers),
                     ("attention_hidden", attentionHidden)]
        for (name, value) in sizes {
            let limit = Self.limits[name] ?? Int.max
            guard value >= 1, value <= limit else { throw fail("\(name) must be between 1 and \(limit), got \(value)") }
        }
        guard kernelSize > stride else { throw fail("kernel_size (\(kernelSize)) must be larger than stride (\(stride))") }
    }

    /// The reference's length update after one convolution: `int((L − (k − s)) / s)`.
    func convolvedLength(_ length: Int) -> Int { (length - (kernelSize - stride)) / stride }

    /// An utterance's length after both convolutions.
    public func encodedLength(_ frames: Int) -> Int { convolvedLength(convolvedLength(frames)) }

    /// The fewest frames an utterance needs (one step after the convolutions).
    public var minimumFrames: Int {
        var frames = 1
        while encodedLength(frames) < 1 { frames += 1 }
        return frames
    }
}

/// One head of the reference's feature-wise attention pooling: `α = softmax_t(out(tanh(hidden(x_t))))`, a
/// separate distribution over time for every feature, and the pooled vector `Σ_t α_t ⊙ x_t`.
public final class AttentionHead: Module {
    public let hidden: Linear
    public let out: Linear

    public init(features: Int, hiddenSize: Int) throws {
        hidden = try Linear(features, hiddenSize)
        out = try Linear(hiddenSize, features)
        super.init()
    }

    /// Pools `[B, T, F]` to `[B, F]`. Without `lengths` the softmax runs over every one of the `T` steps, the zero
    /// padding of shorter utterances included (spec 2.1: they take weight but add nothing), as the reference does;
    /// with them, row b attends to its first `lengths[b]` steps only.
    public func callAsFunction(_ x: Variable, lengths: [Int]? = nil) throws -> Variable {
        var scores = try out(hidden(x).tanh())
        let (b, t, f) = (x.shape[0], x.shape[1], x.shape[2])
        if let lengths, lengths.contains(where: { $0 < t }) {
            guard lengths.count == b, lengths.allSatisfy({ (1...t).contains($0) }) else {
                throw SENError.invalidInput("attention: lengths \(lengths) for \(b) rows of \(t) steps")
            }
            var mask = [Float](repeating: 0, count: b * t * f)
            for (row, length) in lengths.enumerated() where length < t {
                for i in (row * t + length) * f..<((row + 1) * t) * f { mask[i] = 1 }
            }
            scores = try scores.maskedFill(Tensor(shape: [b, t, f], scalars: mask), with: -.infinity)
        }
        let weights = try scores.softmax(axis: 1)
        return try (weights * x).sum(axes: [1])
    }
}

/// The reference's `multi_attention` wrapper (one head), kept for its parameter names
/// (`att.att_heads.0.hidden.weight`).
public final class MultiHeadAttentionPooling: Module {
    public let attentionHeads: [AttentionHead]

    override public class var stateKeys: [String: String] { ["attentionHeads": "att_heads"] }

    public init(features: Int, hiddenSize: Int, heads: Int = 1) throws {
        attentionHeads = try (0..<heads).map { _ in try AttentionHead(features: features, hiddenSize: hiddenSize) }
        super.init()
    }

    public func callAsFunction(_ x: Variable, lengths: [Int]? = nil) throws -> Variable {
        let pooled = try attentionHeads.map { try $0(x, lengths: lengths) }
        return pooled.count == 1 ? pooled[0] : try Variable.concatenate(pooled, axis: 1)
    }
}

/// S2IGAN's speech encoder (SED, spec 2.1): Conv1d → BatchNorm → Conv1d → BatchNorm (no non-linearity), a
/// 2-layer bidirectional GRU over each utterance's own length, feature-wise attention pooling and L2
/// normalisation. Parameter names are the reference's (`Conv1.weight`, `bnorm1.running_mean`,
/// `rnn.weight_ih_l0_reverse`, `att.att_heads.0.hidden.weight`), so its `best_audio_model.pth` loads directly
/// (the `module.` prefix of `DataParallel` is stripped by ``SENCheckpoints``).
public final class SpeechEncoder: Module {
    public let conv1: Conv1d
    public let bnorm1: BatchNorm1d
    public let conv2: Conv1d
    public let bnorm2: BatchNorm1d
    public let rnn: GRU
    public let att: MultiHeadAttentionPooling
    public let configuration: SpeechEncoderConfiguration

    override public class var stateKeys: [String: String] { ["conv1": "Conv1", "conv2": "Conv2"] }

    /// A speech encoder with the reference's initialisation (spec 2.4): PyTorch defaults for the
    /// convolutions, GRU and attention output, an orthogonal attention `hidden` weight.
    public init(_ configuration: SpeechEncoderConfiguration = SpeechEncoderConfiguration()) throws {
        let c = configuration
        try c.validate()
        conv1 = try Conv1d(c.melBands, c.convolutionChannels[0], kernelSize: c.kernelSize, stride: c.stride)
        bnorm1 = try BatchNorm1d(c.convolutionChannels[0])
        conv2 = try Conv1d(c.convolutionChannels[0], c.convolutionChannels[1], kernelSize: c.kernelSize, stride: c.stride)
        bnorm2 = try BatchNorm1d(c.convolutionChannels[1])
        rnn = try GRU(inputSize: c.convolutionChannels[1], hiddenSize: c.hiddenSize, layers: c.recurrentLayers, bidirectional: true)
        att = try MultiHeadAttentionPooling(features: c.embeddingSize, hiddenSize: c.attentionHidden)
        self.configuration = c
        super.init()
        att.attentionHeads[0].hidden.weight.value = try Initialization.orthogonal(att.attentionHeads[0].hidden.weight.shape)
    }

    /// Embeds a padded batch `[B, T, melBands]` whose utterances have `lengths` frames (any order): unit
    /// vectors `[B, 2·hiddenSize]`.
    /// - Throws: for a wrong shape, or an utterance shorter than ``SpeechEncoderConfiguration/minimumFrames``.
    public func callAsFunction(_ features: Variable, lengths: [Int]) throws -> Variable {
        let c = configuration
        guard features.shape.count == 3, features.shape[2] == c.melBands, lengths.count == features.shape[0] else {
            throw SENError.shapeMismatch("SpeechEncoder: input \(features.shape) with \(lengths.count) lengths, expected [B, T, \(c.melBands)] and B lengths")
        }
        let frames = features.shape[1]
        guard let shortest = lengths.min(), shortest >= c.minimumFrames, lengths.allSatisfy({ $0 <= frames }) else {
            throw SENError.invalidInput("SpeechEncoder: lengths \(lengths) must be in \(c.minimumFrames)…\(frames) frames")
        }
        var x = try features.transposed(1, 2)
        x = try bnorm2(conv2(bnorm1(conv1(x))))
        x = try x.transposed(1, 2)
        let encoded = lengths.map { min(c.encodedLength($0), x.shape[1]) }
        // The GRU's output is zero past each length and as long as the longest encoded utterance.
        var (states, _) = try rnn(x, lengths: encoded)
        let longest = encoded.max() ?? 0
        if states.shape[1] > longest { states = try states.slice(axis: 1, start: 0, end: longest) }
        return try att(states, lengths: c.attentionOverPadding ? nil : encoded).l2Normalized(axis: 1)
    }

    /// Embeds single utterances `[T, melBands]` one at a time, without padding (the reference's extraction,
    /// spec 2.8), in evaluation mode, without recording gradients.
    public func embed(_ utterances: [Tensor]) throws -> Tensor {
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        return try GradientMode.withoutGradient {
            let rows = try utterances.map { u -> Tensor in
                guard u.rank == 2 else { throw SENError.shapeMismatch("SpeechEncoder: utterance \(u.shape) is not [frames, bands]") }
                return try self(Variable(u.reshaped([1] + u.shape)), lengths: [u.shape[0]]).value
            }
            return try Tensor.concatenate(rows, axis: 0)
        }
    }
}
