/// A (height, width) pair of integers: kernel sizes, strides, padding and dilation of 2-D kernels.
/// An integer literal means the same value for both (`stride: 2`).
public struct IntPair: Sendable, Equatable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    public init(integerLiteral value: Int) { self.init(value, value) }

    public var description: String { "(\(height), \(width))" }
}
