/// An error from differentiation itself (shapes and arguments of operations throw `TensorError`).
public enum AutogradError: Error, CustomStringConvertible, Equatable {
    /// `backward()` on a value that does not require a gradient.
    case noGradient(String)
    /// `backward()` without an explicit gradient on a value with more than one element.
    case nonScalarOutput([Int])
    /// A gradient whose shape differs from its value's.
    case gradientShape(operation: String, expected: [Int], got: [Int])
    /// A second backward pass through operations whose saved tensors the first one released.
    case graphReleased(String)
    /// A gradient check that could not run.
    case gradientCheck(String)

    public var description: String {
        switch self {
        case .noGradient(let what):
            return "backward: \(what) does not require a gradient (no input of it requires one, or it was computed without gradients)"
        case .nonScalarOutput(let shape):
            return "backward: the value has shape \(shape); give the gradient explicitly for a non-scalar value"
        case .gradientShape(let op, let expected, let got):
            return "backward: '\(op)' produced a gradient of shape \(got) for a value of shape \(expected)"
        case .graphReleased(let operation):
            return "backward: '\(operation)' was already differentiated and its saved tensors released; pass retainGraph: true to the first backward to differentiate twice"
        case .gradientCheck(let message):
            return "gradient check: \(message)"
        }
    }
}
