import Foundation
import Tensor

/// The SEN's validation metrics as the reference computes them (spec 2.7), in Double.
public enum Retrieval {
    /// Rows shifted by 1e-10 and scaled to unit length, as the reference prepares features.
    static func normalizedRows(_ x: Tensor) throws -> [[Double]] {
        guard x.rank == 2 else { throw TensorError.shapeMismatch("retrieval: features \(x.shape) are not [N, D]") }
        let d = x.shape[1], values = x.scalars
        return (0..<x.shape[0]).map { i in
            let row = values[(i * d)..<((i + 1) * d)].map { Double($0) + 1e-10 }
            let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
            return row.map { $0 / norm }
        }
    }

    /// Speech → image mAP of CUB/Oxford-style data: one query per class — the speech embedding of the
    /// class's first pair — against every image; the relevant images are those of the query's class;
    /// `AP = (1/n) Σ_m m / p_m` over the 1-based ranks `p_m` of the `n` relevant images; the mean over classes.
    /// - Parameters:
    ///   - speech: `[N, D]`, pair i's speech embedding.
    ///   - image: `[N, D]`, pair i's image embedding.
    ///   - classIDs: pair i's class.
    public static func speechToImageMAP(speech: Tensor, image: Tensor, classIDs: [Int]) throws -> Double {
        guard speech.shape == image.shape, speech.rank == 2, classIDs.count == speech.shape[0], !classIDs.isEmpty else {
            throw TensorError.shapeMismatch("mAP: speech \(speech.shape), image \(image.shape) and \(classIDs.count) class ids")
        }
        let s = try normalizedRows(speech), v = try normalizedRows(image)
        var seen = Set<Int>(), queries: [Int] = []
        for (i, c) in classIDs.enumerated().sorted(by: { ($0.element, $0.offset) < ($1.element, $1.offset) }) where !seen.contains(c) {
            seen.insert(c)
            queries.append(i)
        }
        var total = 0.0
        for q in queries {
            let similarity = v.map { row in zip(row, s[q]).reduce(0) { $0 + $1.0 * $1.1 } }
            let order = similarity.indices.sorted { (similarity[$0], -$0) > (similarity[$1], -$1) }
            var found = 0, ap = 0.0
            for (rank, i) in order.enumerated() where classIDs[i] == classIDs[q] {
                found += 1
                ap += Double(found) / Double(rank + 1)
            }
            total += ap / Double(found)
        }
        return total / Double(queries.count)
    }

    /// The expected speech → image mAP of a random ranking, for the same queries as
    /// ``speechToImageMAP(speech:image:classIDs:)``: with `n` relevant among `N` images,
    /// `E[AP] = H_N / N + (n − 1)(N − H_N) / (N (N − 1))` (H_N the N-th harmonic number).
    public static func chanceMAP(classIDs: [Int]) -> Double {
        let total = classIDs.count
        guard total > 1 else { return 1 }
        let harmonic = (1...total).reduce(0.0) { $0 + 1 / Double($1) }
        let sizes = Dictionary(grouping: classIDs, by: { $0 }).values.map(\.count)
        let expected = sizes.map { n in
            harmonic / Double(total) + Double(n - 1) * (Double(total) - harmonic) / (Double(total) * Double(total - 1))
        }
        return expected.reduce(0, +) / Double(expected.count)
    }

    /// Cross-modal recall of paired embeddings (the reference's `retrieval_evaluation_all`, spec 2.7): pair i's
    /// image and speech belong together and nothing else does.
    public struct Recall: Sendable, Equatable, Codable {
        public var ks: [Int]
        /// Fraction of image queries whose own caption is among the top k, for each k.
        public var imageToSpeech: [Double]
        /// Fraction of speech queries whose own image is among the top k, for each k.
        public var speechToImage: [Double]
        /// Median 0-based rank of the matching item, each direction.
        public var imageToSpeechMedianRank: Double
        public var speechToImageMedianRank: Double

        /// The reference's selection criterion: the mean of the two R@k for `k` (10).
        public func meanRecall(at k: Int = 10) -> Double? {
            guard let i = ks.firstIndex(of: k) else { return nil }
            return (imageToSpeech[i] + speechToImage[i]) / 2
        }
    }

    /// R@k in both directions for pairs `(image i, speech i)` by cosine similarity.
    public static func recall(speech: Tensor, image: Tensor, ks: [Int] = [1, 5, 10]) throws -> Recall {
        guard speech.shape == image.shape, speech.rank == 2, speech.shape[0] > 0 else {
            throw TensorError.shapeMismatch("recall: speech \(speech.shape) and image \(image.shape) must be equal [N, D]")
        }
        let s = try normalizedRows(speech), v = try normalizedRows(image), n = s.count
        var similarity = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { similarity[i * n + j] = zip(v[i], s[j]).reduce(0) { $0 + $1.0 * $1.1 } } }
        // Rank of the match = how many items score strictly higher (ties resolved in the match's favour).
        var imageRanks: [Int] = [], speechRanks: [Int] = []
        for i in 0..<n {
            let own = similarity[i * n + i]
            imageRanks.append((0..<n).reduce(0) { $0 + (similarity[i * n + $1] > own ? 1 : 0) })
            let ownColumn = similarity[i * n + i]
            speechRanks.append((0..<n).reduce(0) { $0 + (similarity[$1 * n + i] > ownColumn ? 1 : 0) })
        }
        func fraction(_ ranks: [Int], _ k: Int) -> Double { Double(ranks.filter { $0 < k }.count) / Double(n) }
        func median(_ ranks: [Int]) -> Double {
            let sorted = ranks.sorted()
            return sorted.count % 2 == 1 ? Double(sorted[sorted.count / 2]) : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        return Recall(ks: ks, imageToSpeech: ks.map { fraction(imageRanks, $0) }, speechToImage: ks.map { fraction(speechRanks, $0) },
                      imageToSpeechMedianRank: median(imageRanks), speechToImageMedianRank: median(speechRanks))
    }
}
