import Foundation
import S2IGANTensor

/// Ranking metrics as the S2IGAN reference computes them, in Double: the SEN's validation metrics (spec 2.7) and
/// the generated-image mAP and R@k (spec 4.2–4.3). Features are shifted by 1e-10 and scaled to unit length, and
/// compared by cosine similarity.
public enum Retrieval {
    /// Cosine similarities `[Q × G]` of query rows against gallery rows, after the reference's +1e-10 shift.
    public static func cosineSimilarities(queries: Tensor, gallery: Tensor) throws -> DoubleMatrix {
        guard queries.rank == 2, gallery.rank == 2, queries.shape[1] == gallery.shape[1] else {
            throw MetricsError.shapeMismatch("retrieval: queries \(queries.shape) and gallery \(gallery.shape) must be [N, D] with the same D")
        }
        return try normalizedRows(queries).multiplied(by: normalizedRows(gallery), transposeOther: true)
    }

    static func normalizedRows(_ x: Tensor) throws -> DoubleMatrix {
        var m = try DoubleMatrix(x)
        for i in 0..<m.rows {
            var norm = 0.0
            for j in 0..<m.columns {
                m.values[i * m.columns + j] += 1e-10
                norm += m.values[i * m.columns + j] * m.values[i * m.columns + j]
            }
            let scale = 1 / max(norm.squareRoot(), 1e-300)
            for j in 0..<m.columns { m.values[i * m.columns + j] *= scale }
        }
        return m
    }

    /// Gallery indices of row `q` in descending similarity (ties in index order).
    static func ranking(_ s: DoubleMatrix, row q: Int) -> [Int] {
        let base = q * s.columns
        return (0..<s.columns).sorted { (s.values[base + $0], -$0) > (s.values[base + $1], -$1) }
    }

    /// `(1/n) Σ_m m / (p_m + 1)` over the 0-based ranks `p_1 < … < p_n` of the relevant items in `order`.
    static func averagePrecision(_ order: [Int], relevant: (Int) -> Bool) -> Double {
        var found = 0, sum = 0.0
        for (rank, i) in order.enumerated() where relevant(i) {
            found += 1
            sum += Double(found) / Double(rank + 1)
        }
        return found == 0 ? 0 : sum / Double(found)
    }

    // MARK: - SEN validation

    /// Speech → image mAP of CUB/Oxford-style data: one query per class — the speech embedding of the
    /// class's first pair — against every image; the relevant images are those of the query's class.
    /// - Parameters:
    ///   - speech: `[N, D]`, pair i's speech embedding.
    ///   - image: `[N, D]`, pair i's image embedding.
    ///   - classIDs: pair i's class.
    public static func speechToImageMAP(speech: Tensor, image: Tensor, classIDs: [Int]) throws -> Double {
        guard speech.shape == image.shape, speech.rank == 2, classIDs.count == speech.shape[0], !classIDs.isEmpty else {
            throw MetricsError.shapeMismatch("mAP: speech \(speech.shape), image \(image.shape) and \(classIDs.count) class ids")
        }
        var seen = Set<Int>(), queries: [Int] = []
        for (i, c) in classIDs.enumerated() where !seen.contains(c) {
            seen.insert(c)
            queries.append(i)
        }
        queries.sort { (classIDs[$0], $0) < (classIDs[$1], $1) }
        let s = try cosineSimilarities(queries: speech.indexSelect(axis: 0, indices: queries), gallery: image)
        let total = queries.indices.reduce(0.0) { sum, k in
            sum + averagePrecision(ranking(s, row: k)) { classIDs[$0] == classIDs[queries[k]] }
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
            throw MetricsError.shapeMismatch("recall: speech \(speech.shape) and image \(image.shape) must be equal [N, D]")
        }
        let s = try cosineSimilarities(queries: image, gallery: speech), n = s.rows
        // Rank of the match = how many items score strictly higher (ties resolved in the match's favour).
        var imageRanks: [Int] = [], speechRanks: [Int] = []
        for i in 0..<n {
            let own = s.values[i * n + i]
            imageRanks.append((0..<n).reduce(0) { $0 + (s.values[i * n + $1] > own ? 1 : 0) })
            speechRanks.append((0..<n).reduce(0) { $0 + (s.values[$1 * n + i] > own ? 1 : 0) })
        }
        func fraction(_ ranks: [Int], _ k: Int) -> Double { Double(ranks.filter { $0 < k }.count) / Double(n) }
        func median(_ ranks: [Int]) -> Double {
            let sorted = ranks.sorted()
            return sorted.count % 2 == 1 ? Double(sorted[sorted.count / 2]) : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        return Recall(ks: ks, imageToSpeech: ks.map { fraction(imageRanks, $0) }, speechToImage: ks.map { fraction(speechRanks, $0) },
                      imageToSpeechMedianRank: median(imageRanks), speechToImageMedianRank: median(speechRanks))
    }

    // MARK: - Generated images

    /// The class-retrieval scores of generated images (spec 4.2, CUB/Oxford).
    public struct ClassRetrieval: Sendable, Equatable, Codable {
        public var meanAveragePrecision: Double
        public var ks: [Int]
        /// Precision@k: the fraction of the top k that is of the query's class, averaged over queries. The
        /// reference's script prints these as "R@k".
        public var precisionAt: [Double]
    }

    /// Real-image queries against generated images: for each query, the gallery ranked by cosine similarity;
    /// AP over the gallery items of the query's class; mAP over the queries; precision@k.
    public static func classRetrieval(queries: Tensor, queryClasses: [Int], gallery: Tensor, galleryClasses: [Int],
                                      ks: [Int] = [1, 2, 3, 5, 10]) throws -> ClassRetrieval {
        guard queryClasses.count == queries.shape.first, galleryClasses.count == gallery.shape.first, !queryClasses.isEmpty else {
            throw MetricsError.shapeMismatch("mAP: \(queryClasses.count) query classes for \(queries.shape), \(galleryClasses.count) gallery classes for \(gallery.shape)")
        }
        let s = try cosineSimilarities(queries: queries, gallery: gallery)
        var ap = 0.0, precision = [Double](repeating: 0, count: ks.count)
        for q in 0..<s.rows {
            let order = ranking(s, row: q), c = queryClasses[q]
            ap += averagePrecision(order) { galleryClasses[$0] == c }
            for (j, k) in ks.enumerated() {
                precision[j] += Double(order.prefix(k).filter { galleryClasses[$0] == c }.count) / Double(k)
            }
        }
        let n = Double(s.rows)
        return ClassRetrieval(meanAveragePrecision: ap / n, ks: ks, precisionAt: precision.map { $0 / n })
    }

    /// R@k of real-image queries against generated images (spec 4.3, Flickr8k/Places): the fraction of queries
    /// with at least one of their own generated images (`owners[j]` = the query gallery item j belongs to) among
    /// the top k.
    public static func recallAtK(queries: Tensor, gallery: Tensor, owners: [Int], ks: [Int] = [1, 5, 10, 50]) throws -> [Double] {
        guard owners.count == gallery.shape.first, owners.allSatisfy({ (0..<(queries.shape.first ?? 0)).contains($0) }) else {
            throw MetricsError.shapeMismatch("recall: \(owners.count) owners for gallery \(gallery.shape) and queries \(queries.shape)")
        }
        let s = try cosineSimilarities(queries: queries, gallery: gallery)
        var hits = [Int](repeating: 0, count: ks.count)
        for q in 0..<s.rows {
            let first = ranking(s, row: q).firstIndex { owners[$0] == q } ?? Int.max
            for (j, k) in ks.enumerated() where first < k { hits[j] += 1 }
        }
        return hits.map { Double($0) / Double(s.rows) }
    }
}
