import S2IGANTensor

extension Variable {
    /// The rows of every replica's `input` stacked in replica order (an all-gather along axis 0 with a gradient),
    /// for a loss that needs the whole global batch (the SEN's matching loss compares every caption with every
    /// image). The shards may differ in their row counts; their other axes must agree. Returns the gathered rows and
    /// where this replica's start.
    ///
    /// The backward pass sums the gradient of the gathered rows over the replicas and gives this replica its own
    /// rows of that sum. When every replica computes the same loss from the gathered rows (so the sum is `R` times
    /// the gradient), and the parameters' gradients are then averaged over the replicas as data-parallel training
    /// does, each parameter receives exactly the gradient of that one loss.
    public static func gatherRows(_ input: Variable, across replicas: any ReplicaGroup) throws -> (rows: Variable, offset: Int) {
        let x = input.value
        guard x.rank >= 1 else { throw TensorError.shapeMismatch("gatherRows: input must have rows, got a scalar") }
        let (rank, count) = (replicas.replicaIndex, replicas.replicaCount)
        let rowSize = x.shape.dropFirst().reduce(1, *)
        // Every replica's row count and row size, to place the rows and to refuse shards of different widths.
        var layout = [Float](repeating: 0, count: 2 * count)
        (layout[rank], layout[count + rank]) = (Float(x.shape[0]), Float(rowSize))
        try replicas.sumOverReplicas(&layout)
        let rows = layout.prefix(count).map { Int($0) }
        if let other = layout.suffix(count).first(where: { Int($0) != rowSize }) {
            throw TensorError.shapeMismatch("gatherRows: replica \(rank) has rows of \(rowSize) values, another of \(Int(other))")
        }
        let offset = rows.prefix(rank).reduce(0, +), total = rows.reduce(0, +)
        var values = [Float](repeating: 0, count: total * rowSize)
        x.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { target in
                if let from = source.baseAddress, source.count > 0 {
                    target.baseAddress!.advanced(by: offset * rowSize).update(from: from, count: source.count)
                }
            }
        }
        try replicas.sumOverReplicas(&values)
        let shape = [total] + Array(x.shape.dropFirst())
        let gathered = try Tensor(shape: shape, scalars: values)
        let own = x.shape[0]
        let result = record("gatherRows", gathered, [input]) { g, _ in
            var sum = g.scalars
            try replicas.sumOverReplicas(&sum)
            return [try Tensor(shape: shape, scalars: sum).slice(axis: 0, start: offset, end: offset + own)]
        }
        return (result, offset)
    }
}
