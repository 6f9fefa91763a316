/// A Float32 n-dimensional array: row-major, contiguous, with copy-on-write storage.
///
/// Every operation returns a new contiguous tensor; copies of a tensor share one buffer until one of
/// them is mutated. Operations whose validity depends on shapes or arguments `throw` a ``TensorError``
/// that names the operation and the shapes involved; nothing traps on bad input.
public struct Tensor: Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    @usableFromInline
    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape whose memory is not initialised; kernels fill it completely.
    @usableFromInline
    package init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: Shape.count(shape))
    }

    /// A tensor with the given shape and values in row-major order.
    /// - Throws: if a dimension is negative or `scalars.count` is not the product of `shape`.
    public init(shape: [Int], scalars: [Float]) throws {
        try Shape.validate(shape, "Tensor(shape:scalars:)")
        let n = Shape.count(shape)
        guard scalars.count == n else {
            throw TensorError.shapeMismatch("Tensor(shape:scalars:): shape \(shape) holds \(n) values, got \(scalars.count)")
        }
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { src in
            if n > 0 { storage.pointer.update(from: src.baseAddress!, count: n) }
        }
    }

    /// A tensor of `shape` whose values `body` writes, every one of them, in row-major order (for
    /// conversions from other layouts without an intermediate array). Dimensions must not be negative.
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:initializingWith:): negative dimension in \(shape)")
        self.init(uninitializedShape: shape)
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// A rank-0 tensor holding one value.
    public init(_ value: Float) {
        self.init(shape: [], storage: TensorStorage(repeating: value, count: 1))
    }

    /// A rank-1 tensor of the given values.
    public init(_ scalars: [Float]) {
        self.init(uninitializedShape: [scalars.count])
        scalars.withUnsafeBufferPointer { src in
            if !scalars.isEmpty { storage.pointer.update(from: src.baseAddress!, count: scalars.count) }
        }
    }

    /// A rank-2 tensor from rows of equal length.
    /// - Throws: if the rows differ in length.
    public init(rows: [[Float]]) throws {
        let columns = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() where row.count != columns {
            throw TensorError.shapeMismatch("Tensor(rows:): row \(i) has \(row.count) values, row 0 has \(columns)")
        }
        try self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single value of a one-element tensor.
    /// - Throws: if the tensor holds more or fewer than one element.
    public func item() throws -> Float {
        guard count == 1 else {
            throw TensorError.shapeMismatch("item(): tensor of shape \(shape) holds \(count) values, not 1")
        }
        return storage.pointer[0]
    }

    /// Reads the element at a multi-dimensional index.
    /// - Throws: if the index has the wrong rank or is out of bounds.
    public func value(at index: [Int]) throws -> Float {
        try storage.pointer[flatIndex(index)]
    }

    /// Writes the element at a multi-dimensional index.
    public mutating func setValue(_ value: Float, at index: [Int]) throws {
        let i = try flatIndex(index)
        makeUnique()
        storage.pointer[i] = value
    }

    private func flatIndex(_ index: [Int]) throws -> Int {
        guard index.count == rank else {
            throw TensorError.invalidArgument("index \(index) has \(index.count) components for a tensor of rank \(rank)")
        }
        var flat = 0
        for (i, (k, d)) in zip(index, shape).enumerated() {
            guard k >= 0 && k < d else {
                throw TensorError.invalidArgument("index \(index) is out of bounds at axis \(i) for shape \(shape)")
            }
            flat = flat * d + k
        }
        return flat
    }

    /// Calls `body` with the values in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with mutable access to the values, copying the buffer first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// True when both tensors have the same shape and exactly the same values (NaN never equals).
    public func isIdentical(to other: Tensor) -> Bool {
        guard shape == other.shape else { return false }
        let a = storage.pointer, b = other.storage.pointer
        for i in 0..<count where a[i] != b[i] { return false }
        return true
    }

    /// True when shapes match and every pair of values satisfies `|a - b| <= atol + rtol * |b|`.
    public func isClose(to other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        let a = storage.pointer, b = other.storage.pointer
        for i in 0..<count {
            let x = a[i], y = b[i]
            if x == y { continue }
            if x.isNaN || y.isNaN { return false }
            if !(Swift.abs(x - y) <= atol + rtol * Swift.abs(y)) { return false }
        }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(16).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 16 ? ", ..." : "")])"
    }
}
