import Foundation

/// Shape arithmetic shared by the kernels.
package enum Shape {
    /// Number of elements of a shape (1 for a scalar shape `[]`). Saturates at `Int.max` instead of trapping
    /// when the product overflows, so a shape read from a file compares unequal to any real count; shapes
    /// that become tensors pass ``validate(_:_:)`` first, which refuses them.
    package static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return Int.max }
            n = p
        }
        return n
    }

    /// The largest tensor a process may ask for: the physical memory, less what large tensors already hold.
    /// Asking for more fails with an error instead of an allocation failure that aborts the process. Read once:
    /// every tensor creation checks against it, and the query is a system call.
    static let physicalMemoryBytes = Int(clamping: ProcessInfo.processInfo.physicalMemory)

    /// Row-major (C order) strides of a shape, in elements.
    package static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// Resolves a possibly negative axis against `rank`.
    static func axis(_ axis: Int, rank: Int, _ op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw TensorError.invalidArgument("\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return a
    }

    /// Resolves a list of axes (negative allowed, no repeats) and returns them sorted.
    static func axes(_ axes: [Int], rank: Int, _ op: String) throws -> [Int] {
        var seen = [Bool](repeating: false, count: rank)
        var result: [Int] = []
        for a in axes {
            let r = try axis(a, rank: rank, op)
            guard !seen[r] else { throw TensorError.invalidArgument("\(op): axis \(a) is repeated in \(axes)") }
            seen[r] = true
            result.append(r)
        }
        return result.sorted()
    }

    /// The NumPy broadcast of two shapes, or an error naming the operation and both shapes.
    static func broadcast(_ a: [Int], _ b: [Int], _ op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 {
                result[i] = da
            } else if da == 1 {
                result[i] = db
            } else {
                throw TensorError.shapeMismatch("\(op): shapes \(a) and \(b) do not broadcast (axis \(i): \(da) vs \(db))")
            }
        }
        return result
    }

    /// Strides for reading a tensor of shape `shape` as if it had the (broadcast) shape `target`:
    /// 0 along broadcast axes.
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let offset = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 {
            result[i + offset] = own[i]
        }
        return result
    }

    /// Python slice rules for `start..<end` by `step` over an axis of length `n`: negative positions count
    /// from the end, positions are clamped. Returns the first position and the number of elements.
    static func slice(length n: Int, start: Int, end: Int?, step: Int, _ op: String) throws -> (start: Int, count: Int) {
        guard step > 0 else { throw TensorError.invalidArgument("\(op): step must be positive, got \(step)") }
        func clamp(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
        let s = clamp(start), e = clamp(end ?? n)
        return (s, e > s ? (e - s + step - 1) / step : 0)
    }

    /// Checks that a shape can become a tensor of `elementBytes`-byte elements: no negative dimension, a product
    /// that does not overflow, and memory that fits beside the tensors already alive.
    package static func validate(_ shape: [Int], _ op: String, elementBytes: Int = MemoryLayout<Float>.stride) throws {
        for d in shape where d < 0 {
            throw TensorError.invalidArgument("\(op): negative dimension in shape \(shape)")
        }
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw TensorError.invalidArgument("\(op): shape \(shape) has more elements than can be counted") }
            n = p
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: elementBytes)
        let memory = physicalMemoryBytes, live = MemoryPool.shared.statistics.live
        guard !overflow, bytes <= memory - live else {
            throw TensorError.invalidArgument(
                "\(op): shape \(shape) needs \(byteDescription(overflow ? Int.max : bytes)), more than this machine's memory allows "
                + "(\(byteDescription(memory)) in all, \(byteDescription(live)) in use by tensors)")
        }
    }

    /// A byte count for messages: "1.6 TB", "512 MB", "12 kB".
    package static func byteDescription(_ bytes: Int) -> String {
        let units: [(Double, String)] = [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (size, unit) in units where Double(bytes) >= size {
            return String(format: "%.1f %@", Double(bytes) / size, unit)
        }
        return "\(bytes) bytes"
    }
}

extension Tensor {
    /// The number of elements of `shape`, after the checks every tensor creation makes: no negative dimension,
    /// no overflowing product, and room in memory for a Float32 tensor of that shape.
    /// - Throws: naming `operation` and the shape.
    public static func validatedCount(_ shape: [Int], for operation: String) throws -> Int {
        try Shape.validate(shape, operation)
        return Shape.count(shape)
    }
}
