import Foundation
import S2IGANAutograd
import S2IGANFormats
import S2IGANNN
import S2IGANTensor

/// Data-parallel training in the manner of PyTorch's DistributedDataParallel, over any ``ReplicaGroup`` (the
/// distributed module's MPI process group): every replica holds the whole model and trains on its shard of each
/// global batch; replica 0's state is sent to the others at the start (and at a resume); before every optimiser
/// step the gradients are averaged over the replicas in buckets, so every replica takes the same step and the
/// models stay identical. BatchNorm normalises each replica's shard (as the reference's DataParallel did on its
/// two GPUs) unless ``synchroniseBatchNorm`` makes it normalise the global batch; its running statistics are
/// replica 0's (DDP's buffer broadcast). Replica 0 alone writes files.
public final class DataParallel {
    public let replicas: any ReplicaGroup
    /// The size of one all-reduce of gradients, in bytes (DDP's 25 MB).
    public let bucketBytes: Int
    /// Whether BatchNorm layers normalise the global batch (SyncBatchNorm) rather than each replica's shard.
    public let synchroniseBatchNorm: Bool

    /// Seconds spent in gradient all-reduces since the counters were reset.
    public private(set) var communicationSeconds = 0.0
    /// Bytes of gradients all-reduced since the counters were reset.
    public private(set) var bytesReduced = 0
    /// All-reduces of gradients since the counters were reset.
    public private(set) var reductions = 0

    public init(replicas: any ReplicaGroup, bucketMegabytes: Double = 25, synchroniseBatchNorm: Bool = false) throws {
        guard bucketMegabytes > 0 else { throw TrainingError.invalidConfiguration("data-parallel: bucket size must be positive, got \(bucketMegabytes) MB") }
        (self.replicas, self.synchroniseBatchNorm) = (replicas, synchroniseBatchNorm)
        bucketBytes = max(4, Int(bucketMegabytes * 1_048_576))
    }

    public var rank: Int { replicas.replicaIndex }
    public var count: Int { replicas.replicaCount }
    /// Replica 0 writes logs, snapshots and checkpoints.
    public var isRoot: Bool { rank == 0 }

    public func resetCounters() { (communicationSeconds, bytesReduced, reductions) = (0, 0, 0) }

    /// Prepares `model` for data-parallel training: SyncBatchNorm if chosen.
    public func prepare(_ model: Module) {
        model.synchroniseBatchNorm(across: synchroniseBatchNorm ? replicas : nil)
    }

    /// Runs `body` (work one replica does alone, such as rank 0's snapshot images) with `module`'s BatchNorm layers
    /// normalising this process's batch, then synchronises them again as chosen.
    public func alone<R>(_ module: Module, _ body: () throws -> R) rethrows -> R {
        module.synchroniseBatchNorm(across: nil)
        defer { prepare(module) }
        return try body()
    }

    /// Refuses a global batch that does not split evenly over the replicas (the global batch, and so the numbers,
    /// must not depend on the number of replicas).
    public func checkDivides(globalBatch: Int) throws {
        guard globalBatch % count == 0 else {
            throw TrainingError.invalidConfiguration("data-parallel: the global batch of \(globalBatch) does not split evenly over \(count) ranks (choose a batch size that is a multiple of the rank count)")
        }
    }

    /// This replica's rows of a global batch of `total` rows: the `rank`-th of `count` equal, contiguous blocks.
    public func shard(of total: Int) -> Range<Int> {
        let size = total / count
        return rank * size ..< (rank + 1) * size
    }

    /// Averages the gradients of `module`'s parameters over the replicas (``averageGradients(of:)-([Variable])``),
    /// naming a parameter whose gradient is not finite.
    public func averageGradients(of module: Module) throws {
        try averageGradients(named: module.namedParameters())
    }

    /// Averages the gradients of `parameters` over the replicas, in place: in buckets of about ``bucketBytes``, in
    /// reverse parameter order (the order in which the backward pass finishes them), each one all-reduce. Parameters
    /// without a gradient, or frozen, are left alone, as the optimisers leave them; the network is the same on every
    /// replica, so they are the same ones everywhere. A gradient holding a NaN or an infinity stops this replica with
    /// a ``NonFiniteLoss`` before the exchange, so the replica where it arose is the one named (after the exchange
    /// every replica would hold it).
    public func averageGradients(of parameters: [Variable]) throws {
        try averageGradients(named: parameters.enumerated().map { ($0.element.name ?? "parameter \($0.offset)", $0.element) })
    }

    func averageGradients(named parameters: [(String, Variable)]) throws {
        let live = parameters.reversed().filter { $0.1.requiresGrad && $0.1.grad != nil }
        let scale = 1 / Float(count)
        var start = 0
        var buffer: [Float] = []
        while start < live.count {
            var end = start + 1, floats = live[start].1.value.count
            while end < live.count, (floats + live[end].1.value.count) * 4 <= bucketBytes {
                floats += live[end].1.value.count
                end += 1
            }
            buffer.removeAll(keepingCapacity: true)
            buffer.reserveCapacity(floats)
            for (name, p) in live[start..<end] {
                guard let g = p.grad, g.shape == p.value.shape else {
                    throw TrainingError.invalidConfiguration("data-parallel: a gradient of shape \(p.grad?.shape ?? []) for '\(name)' of \(p.value.shape)")
                }
                try g.withUnsafeBufferPointer { values in
                    if let bad = values.first(where: { !$0.isFinite }) { throw NonFiniteLoss(gradientOf: name, value: bad) }
                    buffer.append(contentsOf: values)
                }
            }
            let started = Date()
            try replicas.sumOverReplicas(&buffer)
            communicationSeconds += Date().timeIntervalSince(started)
            bytesReduced += floats * 4
            reductions += 1
            var offset = 0
            for (_, p) in live[start..<end] {
                let n = p.value.count, shape = p.value.shape
                p.grad = Tensor(shape: shape) { target in
                    for j in 0..<n { target[j] = buffer[offset + j] * scale }
                }
                offset += n
            }
            start = end
        }
    }

    /// Called once every replica is ready to train (after the setup that may take long on some of them, such as
    /// building caches): the CLI starts the process group's watchdog here.
    public var onTrainingStart: (() -> Void)?

    /// Waits until every replica has finished its setup, then calls ``onTrainingStart``.
    public func startTraining() throws {
        var ready = [Double(1)]
        try replicas.sumOverReplicas(&ready)
        onTrainingStart?()
        onTrainingStart = nil
    }

    /// Sums over the replicas (per-epoch loss totals, item counts), in Double.
    public func sum(_ values: [Double]) throws -> [Double] {
        var values = values
        try replicas.sumOverReplicas(&values)
        return values
    }

    /// Replica 0's bytes on every replica, whatever length they have.
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        var length = [Double(isRoot ? bytes.count : 0)]
        try replicas.sumOverReplicas(&length)
        var data = isRoot ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        try replicas.broadcastFromReplica(&data, root: 0)
        return data
    }

    /// Replica 0's model, optimiser states, moving average and `metadata` on every replica (a checkpoint sent in
    /// memory): at the start of a run, so every replica starts from the same weights, and at a resume, where only
    /// replica 0 reads the checkpoint (the other machines need not see its folder). Returns replica 0's metadata.
    @discardableResult
    public func broadcastState(model: Module, optimizers: [String: any Optimizer], average: ExponentialMovingAverage?,
                               metadata: [String: String] = [:]) throws -> [String: String] {
        let bytes = isRoot ? [UInt8](try TrainingCheckpoint.file(model: model, optimizers: optimizers, average: average, metadata: metadata).encoded()) : []
        let received = try broadcast(bytes)
        if isRoot { return metadata }
        let file = try SafeTensorsFile.decode(Data(received), path: "<the state of rank 0>")
        return try TrainingCheckpoint.load(file, source: "<the state of rank 0>", model: model, optimizers: optimizers, average: average)
    }

    /// Replica 0's buffers (BatchNorm's running statistics) on every replica, then a check that every replica holds
    /// the same parameters and buffers, bit for bit: after an epoch, before replica 0 saves it. A difference means
    /// the replicas took different steps, and is an error naming this replica rather than a checkpoint of one of them.
    public func synchroniseBuffers(of model: Module, after epoch: Int) throws {
        let buffers = model.namedBuffers().map(\.1)
        var values: [Float] = []
        for b in buffers { b.value.withUnsafeBufferPointer { values.append(contentsOf: $0) } }
        var bytes = isRoot ? values.withUnsafeBytes { Array($0) } : [UInt8](repeating: 0, count: values.count * 4)
        try replicas.broadcastFromReplica(&bytes, root: 0)
        var offset = 0
        for b in buffers {
            let n = b.value.count, shape = b.value.shape
            b.value = bytes.withUnsafeBytes { raw in
                Tensor(shape: shape) { target in
                    for j in 0..<n { target[j] = raw.load(fromByteOffset: (offset + j) * 4, as: Float.self) }
                }
            }
            offset += n
        }
        // FNV-1a over the parameters' and buffers' bits, compared as four 16-bit pieces (exact in a Double sum).
        var fnv = FNV1a()
        for (_, t) in model.stateDict() { t.withUnsafeBufferPointer { fnv.combine($0) } }
        let hash = fnv.value
        let pieces = (0..<4).map { Double((hash >> (16 * UInt64($0))) & 0xFFFF) }
        var table = [Double](repeating: 0, count: 4 * count)
        for k in 0..<4 { table[rank * 4 + k] = pieces[k] }
        try replicas.sumOverReplicas(&table)
        // Every rank compares every rank with rank 0, so all of them name the same ranks.
        let differing = (1..<count).filter { table[$0 * 4 ..< $0 * 4 + 4] != table[0..<4] }
        if !differing.isEmpty {
            throw TrainingError.replicasDiverged("data-parallel: after epoch \(epoch) the weights of rank(s) \(differing.map(String.init).joined(separator: ", ")) differ from those of rank 0: the replicas diverged")
        }
    }
}
