/// An n-dimensional array of integer indices, as returned by `max(alongAxis:)`, `argmax`, pooling,
/// and taken by `gather`.
public struct IndexTensor: Sendable, Equatable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The indices in row-major order.
    public let indices: [Int]

    /// - Throws: if `indices.count` is not the product of `shape`.
    public init(shape: [Int], indices: [Int]) throws {
        try Shape.validate(shape, "IndexTensor")
        guard Shape.count(shape) == indices.count else {
            throw TensorError.shapeMismatch("IndexTensor: shape \(shape) holds \(Shape.count(shape)) indices, got \(indices.count)")
        }
        self.shape = shape
        self.indices = indices
    }

    init(validShape shape: [Int], indices: [Int]) {
        self.shape = shape
        self.indices = indices
    }
}
