import Foundation
import S2IGANAutograd
import S2IGANNN
import S2IGANTensor
import S2IGANVision

/// What the discriminators and the relation supervisor of a trained RDG say about given images: `gan score`.
public struct RDGScores: Codable, Sendable, Equatable {
    /// Per stage, per image: the conditional discriminator's probability that the image is real and matches the
    /// embedding (conditioned on the CA's μ of the embedding, as in training).
    public var conditional: [[Float]]
    /// Per stage, per image: the unconditional discriminator's probability that the image is real.
    public var unconditional: [[Float]]
    /// Per image: the relation supervisor's four logits for the pair (image, paired image), in the order of its
    /// outputs (the released trainer's classes: 0 identical, 1 similar or generated, 2 wrong, 3 unused). Absent when
    /// no relation supervisor or no image embedder was given.
    public var relation: [[Float]]?

    enum CodingKeys: String, CodingKey { case conditional, unconditional, relation = "relation_logits" }
}

/// Scores images with the discriminators and the relation supervisor of trained weights (``RDGModelFolder``).
/// Every network runs in evaluation mode (BatchNorm's running statistics), so an image's scores do not depend on the
/// others in its batch; the reference only ever runs them in training mode, inside its training loop.
public enum RDGScoring {
    /// Scores `images` (per stage `[N, 3, S, S]` in [−1, 1], S = 64, 128, 256, as many stages as the networks have)
    /// against `embeddings` `[N, D]`. With an `embedder` and a relation supervisor, the relation logits of
    /// (φ(image), φ(pair)) at the last stage's size, `pairs` defaulting to the images themselves (the identical pair).
    public static func score(_ networks: RDGNetworks, images: [Tensor], embeddings: Tensor, embedder: RelationEmbedder? = nil,
                             pairs: Tensor? = nil, batchSize: Int = 16) throws -> RDGScores {
        let a = networks.generator.architecture
        let n = embeddings.shape.first ?? 0
        guard embeddings.shape == [n, a.speechEmbeddingSize], n > 0 else {
            throw GANError.shapeMismatch("score: embeddings \(embeddings.shape), the generator reads [N, \(a.speechEmbeddingSize)]")
        }
        guard images.count == networks.discriminators.count else {
            throw GANError.shapeMismatch("score: images at \(images.count) sizes for \(networks.discriminators.count) discriminators")
        }
        for (image, size) in zip(images, a.imageSizes) where image.shape != [n, 3, size, size] {
            throw GANError.shapeMismatch("score: images \(image.shape), expected [\(n), 3, \(size), \(size)]")
        }
        let last = a.imageSizes[networks.discriminators.count - 1]
        if let pairs, pairs.shape != [n, 3, last, last] {
            throw GANError.shapeMismatch("score: paired images \(pairs.shape), expected [\(n), 3, \(last), \(last)]")
        }
        networks.eval()
        var scores = RDGScores(conditional: Array(repeating: [], count: images.count), unconditional: Array(repeating: [], count: images.count),
                               relation: networks.relation != nil && embedder != nil ? [] : nil)
        try GradientMode.withoutGradient {
            for start in stride(from: 0, to: n, by: max(batchSize, 1)) {
                let end = min(start + max(batchSize, 1), n)
                let e = try embeddings.slice(axis: 0, start: start, end: end)
                let mu = try networks.generator.conditioning.distribution(Variable(a.embeddingScale == 1 ? e : e * a.embeddingScale)).mu
                for (i, d) in networks.discriminators.enumerated() {
                    let out = try d(Variable(images[i].slice(axis: 0, start: start, end: end)), condition: mu)
                    scores.conditional[i] += out.conditional.value.scalars
                    scores.unconditional[i] += out.unconditional.value.scalars
                }
                if let rs = networks.relation, let embedder {
                    let image = try images[images.count - 1].slice(axis: 0, start: start, end: end)
                    let phi = try embedder(Variable(image))
                    let other = try pairs.map { try embedder(Variable($0.slice(axis: 0, start: start, end: end))) } ?? phi
                    let logits = try rs(phi, other).value
                    scores.relation! += (0..<(end - start)).map { Array(logits.scalars[($0 * RelationSupervisor.relations)..<(($0 + 1) * RelationSupervisor.relations)]) }
                }
            }
        }
        return scores
    }

    /// The images in `files` as per-size batches `[N, 3, S, S]` in [−1, 1]: each image resized (bilinear,
    /// antialiased, squashed if it is not square) to the largest size, then down to each smaller one, as the training
    /// pyramids are made. Errors name the file.
    public static func pyramids(of files: [URL], sizes: [Int]) throws -> [Tensor] {
        guard let largest = sizes.max(), !files.isEmpty else { throw GANError.invalidInput("score: no images") }
        var levels: [[RGBImage]] = Array(repeating: [], count: sizes.count)
        for url in files {
            let image = try RGBImage.read(url)
            let top = image.width == largest && image.height == largest ? image : try image.resized(width: largest, height: largest)
            for (k, level) in try top.pyramid(sizes: sizes).enumerated() { levels[k].append(level) }
        }
        return try levels.map { try Tensor.batch($0, range: .signed) }
    }
}
