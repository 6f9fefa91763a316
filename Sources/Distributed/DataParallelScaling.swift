/// The time of one data-parallel training iteration on p ranks: the computation of the global batch divided over
/// the ranks, plus the all-reduce of every network's gradients in buckets (each network synchronised separately, as
/// its optimiser steps separately), with no overlap between the two. Where it stops: a global batch of B splits over
/// at most B ranks.
public struct DataParallelScaling: Sendable {
    /// Seconds one rank takes for an iteration of the whole global batch.
    public var computeSeconds: Double
    /// Gradient bytes of each separately synchronised network.
    public var gradientBytes: [Int]
    /// Images per iteration, over all ranks.
    public var globalBatch: Int
    /// The all-reduce cost on the link.
    public var communication: AllReduceModel
    /// The largest all-reduce (PyTorch DDP's bucket: 25 MB).
    public var bucketBytes: Int

    public init(computeSeconds: Double, gradientBytes: [Int], globalBatch: Int, communication: AllReduceModel, bucketBytes: Int = 25 << 20) {
        (self.computeSeconds, self.gradientBytes, self.globalBatch, self.communication, self.bucketBytes) =
            (computeSeconds, gradientBytes, globalBatch, communication, bucketBytes)
    }

    /// Seconds of all-reduce per iteration on `ranks` ranks.
    public func communicationSeconds(ranks: Int) -> Double {
        gradientBytes.reduce(0) { total, bytes in
            let full = bytes / bucketBytes, rest = bytes % bucketBytes
            return total + Double(full) * communication.seconds(bytes: Double(bucketBytes), ranks: ranks)
                + (rest > 0 ? communication.seconds(bytes: Double(rest), ranks: ranks) : 0)
        }
    }

    /// Seconds per iteration on `ranks` ranks; nil beyond one image per rank.
    public func iterationSeconds(ranks: Int) -> Double? {
        guard ranks >= 1, ranks <= globalBatch else { return nil }
        return computeSeconds / Double(ranks) + communicationSeconds(ranks: ranks)
    }
}
