import S2IGANTensor

// Layout and selection. Gradients are the adjoint layout operations.
extension Variable {
    public func reshaped(_ shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.record("reshape", try value.reshaped(shape), [self]) { g, _ in [try g.reshaped(original)] }
    }

    public func flattened(from startAxis: Int = 0, to endAxis: Int = -1) throws -> Variable {
        let original = shape
        return Variable.record("flatten", try value.flattened(from: startAxis, to: endAxis), [self]) { g, _ in [try g.reshaped(original)] }
    }

    public func unsqueezed(axis: Int) throws -> Variable {
        let original = shape
        return Variable.record("unsqueeze", try value.unsqueezed(axis: axis), [self]) { g, _ in [try g.reshaped(original)] }
    }

    public func squeezed(axis: Int? = nil) throws -> Variable {
        let original = shape
        return Variable.record("squeeze", try value.squeezed(axis: axis), [self]) { g, _ in [try g.reshaped(original)] }
    }

    public func permuted(_ axes: [Int]) throws -> Variable {
        let out = try value.permuted(axes)
        let resolved = axes.map { $0 < 0 ? $0 + axes.count : $0 }
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, a) in resolved.enumerated() { inverse[a] = i }
        return Variable.record("permute", out, [self]) { g, _ in [try g.permuted(inverse)] }
    }

    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) throws -> Variable {
        let out = try value.transposed(axis0, axis1)
        return Variable.record("transpose", out, [self]) { g, _ in [try g.transposed(axis0, axis1)] }
    }

    public func broadcast(to shape: [Int]) throws -> Variable {
        let original = self.shape
        return Variable.record("broadcast", try value.broadcast(to: shape), [self]) { g, _ in [try unbroadcast(g, to: original)] }
    }

    public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Variable {
        let shape = self.shape
        return Variable.record("slice", try value.slice(axis: axis, start: start, end: end, step: step), [self]) { g, _ in
            [try Tensor.zeros(shape).replacingSlice(axis: axis, start: start, end: end, step: step, with: g)]
        }
    }

    public static func concatenate(_ variables: [Variable], axis: Int) throws -> Variable {
        let out = try Tensor.concatenate(variables.map(\.value), axis: axis)
        let a = axis < 0 ? axis + out.rank : axis
        let sizes = variables.map { $0.shape[a] }
        return record("concatenate", out, variables) { g, _ in try g.split(sizes: sizes, axis: a).map { Optional($0) } }
    }

    public static func stack(_ variables: [Variable], axis: Int = 0) throws -> Variable {
        let out = try Tensor.stack(variables.map(\.value), axis: axis)
        let a = axis < 0 ? axis + out.rank : axis
        return record("stack", out, variables) { g, _ in
            try g.split(sizes: [Int](repeating: 1, count: variables.count), axis: a).map { Optional(try $0.squeezed(axis: a)) }
        }
    }

    /// Pieces of the given sizes along `axis`; each piece's gradient lands in its place.
    public func split(sizes: [Int], axis: Int) throws -> [Variable] {
        let a = try axisIndex(axis)
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            throw TensorError.invalidArgument("split: sizes \(sizes) do not add up to \(shape[a]), the length of axis \(a) of \(shape)")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try slice(axis: axis, start: start, end: start + size)
        }
    }

    /// `count` pieces along `axis`, as `torch.chunk`.
    public func chunked(_ count: Int, axis: Int) throws -> [Variable] {
        try split(sizes: value.chunked(count, axis: axis).map { $0.shape[try axisIndex(axis)] }, axis: axis)
    }

    private func axisIndex(_ axis: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw TensorError.invalidArgument("axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return a
    }

    public func padded(_ widths: [(before: Int, after: Int)], mode: Tensor.PaddingMode = .constant(0)) throws -> Variable {
        let shape = self.shape
        return Variable.record("pad", try value.padded(widths, mode: mode), [self]) { g, _ in
            [try Tensor.padGradient(g, widths: widths, mode: mode, inputShape: shape)]
        }
    }

    public func indexSelect(axis: Int, indices: [Int]) throws -> Variable {
        let shape = self.shape
        return Variable.record("indexSelect", try value.indexSelect(axis: axis, indices: indices), [self]) { g, _ in
            [try Tensor.zeros(shape).indexAdd(axis: axis, indices: indices, source: g)]
        }
    }

    public func gather(axis: Int, index: IndexTensor) throws -> Variable {
        let shape = self.shape
        return Variable.record("gather", try value.gather(axis: axis, index: index), [self]) { g, _ in
            [try Tensor.zeros(shape).scatterAdd(axis: axis, index: index, source: g)]
        }
    }

    /// Replaces the values where `mask` is non-zero; no gradient flows to the replaced positions.
    public func maskedFill(_ mask: Tensor, with fill: Float) throws -> Variable {
        Variable.record("maskedFill", try value.maskedFill(mask, with: fill), [self]) { g, _ in [try g.maskedFill(mask, with: 0)] }
    }

    /// `a` where `condition` is non-zero, else `b`.
    public static func `where`(_ condition: Tensor, _ a: Variable, _ b: Variable) throws -> Variable {
        let out = try Tensor.where(condition, a.value, b.value)
        let (aShape, bShape) = (a.shape, b.shape)
        return record("where", out, [a, b]) { g, needs in
            let zero = Tensor(0)
            return [needs[0] ? try unbroadcast(Tensor.where(condition, g, zero), to: aShape) : nil,
                    needs[1] ? try unbroadcast(Tensor.where(condition, zero, g), to: bShape) : nil]
        }
    }
}
