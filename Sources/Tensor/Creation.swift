extension Tensor {
    /// A tensor filled with `value`.
    /// - Throws: if a dimension is negative.
    public static func full(_ shape: [Int], value: Float) throws -> Tensor {
        try Shape.validate(shape, "full")
        return Tensor(shape: shape, storage: TensorStorage(repeating: value, count: Shape.count(shape)))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, value: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, value: 1) }

    /// A tensor of zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor {
        Tensor(shape: other.shape, storage: TensorStorage(repeating: 0, count: other.count))
    }

    /// `start, start + step, ...` up to but excluding `end`, as `torch.arange` / `numpy.arange`.
    /// - Throws: if `step` is zero or not finite.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) throws -> Tensor {
        guard step != 0 && step.isFinite && start.isFinite && end.isFinite else {
            throw TensorError.invalidArgument("arange: start \(start), end \(end), step \(step) do not describe a finite range")
        }
        let n = Swift.max(0, Int((Double(end - start) / Double(step)).rounded(.up)))
        let result = Tensor(uninitializedShape: [n])
        let p = result.storage.pointer
        for i in 0..<n { p[i] = start + Float(i) * step }
        return result
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Float, _ end: Float, count: Int) throws -> Tensor {
        guard count >= 0 else { throw TensorError.invalidArgument("linspace: negative count \(count)") }
        let result = Tensor(uninitializedShape: [count])
        let p = result.storage.pointer
        let step = count > 1 ? (Double(end) - Double(start)) / Double(count - 1) : 0
        for i in 0..<count { p[i] = Float(Double(start) + step * Double(i)) }
        if count > 1 { p[count - 1] = end }
        return result
    }

    /// The `n × n` identity matrix.
    public static func eye(_ n: Int) throws -> Tensor {
        var result = try zeros([n, n])
        result.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i * n + i] = 1 }
        }
        return result
    }
}
