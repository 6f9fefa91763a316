import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor

/// The SEN's two losses (spec 2.5).
public enum SENLosses {
    /// The matching loss: `S_ij = γ · cos(v_i, s_j)` with `S_ij = −∞` for other pairs of the same class
    /// (the diagonal is never masked), then cross-entropy of the matching pair along rows (image → speech)
    /// plus along columns (speech → image), each a mean over the batch.
    /// - Parameters:
    ///   - image: image embeddings `[B, D]`.
    ///   - speech: speech embeddings `[B, D]`, pair i = (image i, speech i).
    ///   - classIDs: the class of each pair (for Flickr8k/Places the image index, so nothing is masked).
    ///   - gamma: the smoothing factor γ3 (10).
    public static func matching(image: Variable, speech: Variable, classIDs: [Int], gamma: Float = 10) throws -> Variable {
        let terms = try matchingTerms(image: image, speech: speech, classIDs: classIDs, gamma: gamma)
        return try terms.imageToSpeech + terms.speechToImage
    }

    /// The two directions of ``matching(image:speech:classIDs:gamma:)``: the reference's `batch_loss` returns them as
    /// `loss0` (rows: each image against every caption) and `loss1` (columns: each caption against every image).
    public static func matchingTerms(image: Variable, speech: Variable, classIDs: [Int], gamma: Float = 10) throws
        -> (imageToSpeech: Variable, speechToImage: Variable) {
        guard image.shape.count == 2, image.shape == speech.shape, classIDs.count == image.shape[0] else {
            throw SENError.shapeMismatch("matching loss: image \(image.shape), speech \(speech.shape) and \(classIDs.count) class ids")
        }
        let b = classIDs.count
        let dots = try Variable.matmul(image, speech, transposeB: true)
        let norms = try Variable.matmul(image.square().sum(axes: [1], keepDims: true).sqrt(),
                                        speech.square().sum(axes: [1], keepDims: true).sqrt(), transposeB: true)
        var scores = try dots / norms.clamped(min: 1e-8) * gamma
        var mask = [Float](repeating: 0, count: b * b)
        for r in 0..<b { for c in 0..<b where r != c && classIDs[r] == classIDs[c] { mask[r * b + c] = 1 } }
        if mask.contains(1) { scores = try scores.maskedFill(Tensor(shape: [b, b], scalars: mask), with: -.infinity) }
        let targets = Array(0..<b)
        return (try Variable.crossEntropy(scores, targets: targets), try Variable.crossEntropy(scores.transposed(0, 1), targets: targets))
    }

    /// The distinctive (classification) loss of CUB/Oxford-style data: one classifier shared by both
    /// modalities, cross-entropy of each against the 0-based training labels.
    public static func distinctive(classifier: Linear, image: Variable, speech: Variable, labels: [Int]) throws -> Variable {
        let terms = try distinctiveTerms(classifier: classifier, image: image, speech: speech, labels: labels)
        return try terms.image + terms.speech
    }

    /// The two cross-entropies of ``distinctive(classifier:image:speech:labels:)``, image side first.
    public static func distinctiveTerms(classifier: Linear, image: Variable, speech: Variable, labels: [Int]) throws -> (image: Variable, speech: Variable) {
        (try Variable.crossEntropy(classifier(image), targets: labels), try Variable.crossEntropy(classifier(speech), targets: labels))
    }
}
