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
}
