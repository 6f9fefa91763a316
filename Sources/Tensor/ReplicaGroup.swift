/// The replicas of a data-parallel job as the layers that synchronise across them see it: batch normalisation over
/// the global batch (SyncBatchNorm) and the rows of a loss that needs every replica's embeddings. Each replica
/// holds a shard of the global batch and a copy of the model; the distributed module's process group conforms on
/// MPI, and a test can conform with threads. Every replica calls the collectives in the same order with the same
/// element counts.
public protocol ReplicaGroup: AnyObject, Sendable {
    /// This replica's index, `0 ..< replicaCount`.
    var replicaIndex: Int { get }
    /// The number of replicas.
    var replicaCount: Int { get }
    /// The element-wise sum over every replica, in place on each.
    func sumOverReplicas(_ values: inout [Float]) throws
    /// The element-wise sum over every replica, in place on each.
    func sumOverReplicas(_ values: inout [Double]) throws
    /// Every replica gets replica `root`'s bytes (the arrays have the same length on every replica).
    func broadcastFromReplica(_ bytes: inout [UInt8], root: Int) throws
}
