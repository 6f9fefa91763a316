import Foundation
import S2IGANTensor

/// The order of items in an epoch: shuffled from `(seed, epoch)` or in dataset order, cut into batches,
/// the last incomplete batch dropped or kept.
public struct EpochOrder: Sendable, Equatable {
    public var count: Int
    public var batchSize: Int
    public var shuffle: Bool
    public var dropLast: Bool
    public var seed: UInt64

    public init(count: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = true, seed: UInt64 = 0) {
        (self.count, self.batchSize, self.shuffle, self.dropLast, self.seed) = (count, batchSize, shuffle, dropLast, seed)
    }

    /// Batches per epoch.
    public var batchCount: Int {
        guard batchSize > 0 else { return 0 }
        return dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The item indices of every batch of `epoch`.
    public func batches(epoch: Int) -> [[Int]] {
        var order = Array(0..<count)
        if shuffle {
            var rng = RandomStreams.generator(seed: seed, epoch: epoch, index: -1)
            rng.shuffle(&order)
        }
        return (0..<batchCount).map { b in Array(order[(b * batchSize)..<Swift.min((b + 1) * batchSize, count)]) }
    }
}

/// A batch for the speech embedding network: captions zero-padded at the end to the longest, with their
/// true lengths, sorted by length (longest first) with everything else moving along — the reference's
/// collate function.
public struct SENBatch: Sendable {
    public var keys: [String]
    /// `[B, 3, S, S]`.
    public var images: Tensor
    /// `[B, T_max, 40]`.
    public var captions: Tensor
    public var lengths: [Int]
    public var classIDs: [Int]
    public var labels: [Int]
    public var captionIndices: [Int]

    /// Collates single-caption items (``CaptionChoice/random`` or ``CaptionChoice/first``).
    public static func collate(_ items: [SENItem], sortByLength: Bool = true) throws -> SENBatch {
        guard !items.isEmpty else { throw DatasetError.invalidRequest("batch: no items") }
        guard items.allSatisfy({ $0.captions.count == 1 }) else {
            throw DatasetError.invalidRequest("batch: SEN items must carry one caption each")
        }
        let order = sortByLength ? longestFirst(items.map { $0.captions[0].shape[0] }) : Array(items.indices)
        let sorted = order.map { items[$0] }
        let (captions, lengths) = try padCaptions(sorted.map { $0.captions[0] })
        return SENBatch(keys: sorted.map(\.key), images: try Tensor.stack(sorted.map(\.image), axis: 0), captions: captions,
                        lengths: lengths, classIDs: sorted.map(\.classID), labels: sorted.map(\.label),
                        captionIndices: sorted.map(\.captionIndex))
    }

    /// The indices of `lengths` longest first; equal lengths keep their order (the reference's collate order).
    public static func longestFirst(_ lengths: [Int]) -> [Int] {
        lengths.indices.sorted { (lengths[$0], $1) > (lengths[$1], $0) }
    }

    /// `(T_i, F)` matrices zero-padded at the end to `[B, T_max, F]`, and the lengths `T_i`.
    public static func padCaptions(_ captions: [Tensor]) throws -> (Tensor, [Int]) {
        guard let width = captions.first?.shape.last, captions.allSatisfy({ $0.rank == 2 && $0.shape[1] == width }) else {
            throw DatasetError.invalidRequest("batch: captions must be (frames, \(captions.first?.shape.last ?? 0)) matrices")
        }
        let lengths = captions.map { $0.shape[0] }
        let longest = lengths.max() ?? 0
        let padded = try captions.map { c in
            c.shape[0] == longest ? c : try c.padded([(0, longest - c.shape[0]), (0, 0)])
        }
        return (try Tensor.stack(padded, axis: 0), lengths)
    }
}

/// A batch for the RDG: image pyramids, caption embeddings, wrong pyramids, similar images.
public struct GANBatch: Sendable {
    public var keys: [String]
    /// One `[B, 3, s, s]` tensor per pyramid size.
    public var images: [Tensor]
    /// `[B, D]`.
    public var embeddings: Tensor
    public var wrongImages: [Tensor]
    /// `[B, 3, S, S]`.
    public var similarImages: Tensor
    public var classIDs: [Int]

    public static func collate(_ items: [GANItem]) throws -> GANBatch {
        guard let first = items.first else { throw DatasetError.invalidRequest("batch: no items") }
        let levels = first.images.count
        return GANBatch(
            keys: items.map(\.key),
            images: try (0..<levels).map { l in try Tensor.stack(items.map { $0.images[l] }, axis: 0) },
            embeddings: try Tensor.stack(items.map(\.embedding), axis: 0),
            wrongImages: try (0..<levels).map { l in try Tensor.stack(items.map { $0.wrongImages[l] }, axis: 0) },
            similarImages: try Tensor.stack(items.map(\.similarImage), axis: 0),
            classIDs: items.map(\.classID))
    }
}
