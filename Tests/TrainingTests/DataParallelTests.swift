import Foundation
import S2IGANAutograd
import S2IGANNN
import S2IGANTensor
import S2IGANTraining
import TestSupport
import Testing

/// Data-parallel training's pieces on replicas that are threads of this process (``ThreadReplicas``), against one
/// process holding the whole batch: SyncBatchNorm, the all-gather with a gradient, gradient averaging in buckets,
/// the state broadcast and the divergence check. The same code runs on MPI ranks in the CLI tests.
@Suite struct DataParallelTests {
    static func random(_ shape: [Int], seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return try Tensor.normal(shape, mean: 0.5, std: 2, using: &rng)
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }

    /// A BatchNorm2d with given affine parameters, its output on `x` and the gradients of Σ y·r.
    static func batchNorm(_ x: Tensor, _ r: Tensor, replicas: (any ReplicaGroup)?) throws -> [Tensor] {
        let norm = try BatchNorm2d(3)
        norm.weight!.value = try Tensor(shape: [3], scalars: [1.5, -0.5, 2])
        norm.bias!.value = try Tensor(shape: [3], scalars: [0.1, 0.2, -0.3])
        norm.synchroniseBatchNorm(across: replicas)
        let input = Variable(x, requiresGrad: true)
        let y = try norm(input)
        try (y * Variable(r)).sum().backward()
        return [y.value, try #require(input.grad), try #require(norm.weight!.grad), try #require(norm.bias!.grad),
                norm.runningMean!.value, norm.runningVariance!.value]
    }

    /// Two replicas, each with half of a batch of 8, normalise it as one process normalises the whole: the same
    /// outputs, input gradients and running statistics; the parameter gradients are each replica's share (they sum to
    /// the whole batch's). Without synchronisation the halves are normalised on their own, which differs.
    @Test func syncBatchNormNormalisesTheGlobalBatch() throws {
        let x = try Self.random([8, 3, 4, 5], seed: 1), r = try Self.random([8, 3, 4, 5], seed: 2)
        let whole = try Self.batchNorm(x, r, replicas: nil)
        for synchronised in [true, false] {
            let parts = try ThreadReplicas.run(2) { replicas in
                let rows = replicas.replicaIndex * 4
                return try Self.batchNorm(x.slice(axis: 0, start: rows, end: rows + 4), r.slice(axis: 0, start: rows, end: rows + 4),
                                          replicas: synchronised ? replicas : nil)
            }
            let output = try Tensor.concatenate(parts.map { $0[0] }, axis: 0), dx = try Tensor.concatenate(parts.map { $0[1] }, axis: 0)
            let dw = try parts[0][2] + parts[1][2], db = try parts[0][3] + parts[1][3]
            let worst = [Self.maxDifference(output, whole[0]), Self.maxDifference(dx, whole[1]), Self.maxDifference(dw, whole[2]),
                         Self.maxDifference(db, whole[3]), Self.maxDifference(parts[0][4], whole[4]), Self.maxDifference(parts[1][5], whole[5])]
            if synchronised {
                #expect(worst.allSatisfy { $0 < 2e-5 }, "\(worst)")
            } else {
                #expect(worst[0] > 1e-2 && worst[1] > 1e-2, "\(worst)")
            }
        }
    }

    /// Every replica gets every replica's rows in replica order (shards of different sizes too); when each computes the
    /// same loss from them, its rows' gradient is the replica count times that loss's gradient, which the data-parallel
    /// mean brings back to it.
    @Test func gatherRowsStacksTheShardsAndSumsTheirGradients() throws {
        let x = try Self.random([5, 3], seed: 3), weights = try Self.random([5, 3], seed: 4)
        let bounds = [0, 2, 5]
        let results = try ThreadReplicas.run(2) { replicas in
            let k = replicas.replicaIndex
            let own = Variable(try x.slice(axis: 0, start: bounds[k], end: bounds[k + 1]), requiresGrad: true)
            let (rows, offset) = try Variable.gatherRows(own, across: replicas)
            try (rows * rows * Variable(weights)).sum().backward()
            return [rows.value, try #require(own.grad), Tensor(Float(offset))]
        }
        let expected = try x * weights * 4  // 2 replicas × d(Σ x² w)/dx
        for (k, r) in results.enumerated() {
            #expect(r[0].shape == [5, 3] && Self.maxDifference(r[0], x) == 0)
            #expect(r[2].scalars == [Float(bounds[k])])
            let part = try expected.slice(axis: 0, start: bounds[k], end: bounds[k + 1])
            #expect(Self.maxDifference(r[1], part) < 1e-5, "replica \(k): \(r[1].scalars) vs \(part.scalars)")
        }
    }

    /// Gradients are averaged over the replicas, in buckets (here several, the bucket smaller than the parameters);
    /// a parameter without a gradient is left alone, and the traffic is counted.
    @Test func averageGradientsInBuckets() throws {
        let results = try ThreadReplicas.run(3) { replicas in
            let parallel = try DataParallel(replicas: replicas, bucketMegabytes: 40.0 / 1_048_576)
            let k = Float(replicas.replicaIndex)
            let a = Variable.parameter(try Tensor.zeros([6])), b = Variable.parameter(try Tensor.zeros([2, 5])), c = Variable.parameter(try Tensor.zeros([3]))
            a.grad = try Tensor.full([6], value: k)
            b.grad = try Tensor(shape: [2, 5], scalars: (0..<10).map { Float($0) * (k + 1) })
            try parallel.averageGradients(of: [a, b, c])
            return (a.grad!.scalars, b.grad!.scalars, c.grad == nil, parallel.reductions, parallel.bytesReduced)
        }
        for r in results {
            #expect(r.0 == Array(repeating: 1, count: 6))
            #expect(r.1 == (0..<10).map { Float($0) * 2 })
            #expect(r.2 && r.3 == 2 && r.4 == 64)
        }
    }

    /// Replica 0's state (parameters, buffers, optimiser moments) reaches the others; after an epoch the check passes
    /// on identical replicas and names the divergence when a replica's weights differ.
    @Test func stateBroadcastAndDivergenceCheck() throws {
        let results = try ThreadReplicas.run(2) { replicas in
            let parallel = try DataParallel(replicas: replicas)
            let model = try Initialization.seeded(UInt64(10 + replicas.replicaIndex)) { Sequential([try Linear(4, 3), try BatchNorm1d(3)]) }
            let adam = try Adam(parameters: model.parameters(), learningRate: 0.1)
            try parallel.broadcastState(model: model, optimizers: ["adam": adam], average: nil)
            try parallel.synchroniseBuffers(of: model, after: 0)
            let values = model.stateDict().map(\.1.scalars)
            if replicas.replicaIndex == 1 { model.parameters()[0].value = try model.parameters()[0].value + 1 }
            var message = ""
            do { try parallel.synchroniseBuffers(of: model, after: 3) } catch { message = "\(error)" }
            return (values, message)
        }
        #expect(results[0].0 == results[1].0)
        // Both ranks name the same rank, the one that differs from rank 0.
        for (_, message) in results {
            #expect(message.contains("after epoch 3 the weights of rank(s) 1 differ from those of rank 0"), "\(message)")
        }
    }
}
