import S2IGANTensor

/// A value taking part in reverse-mode differentiation: a parameter or input (a leaf) or the result of
/// an operation, which records the operation and its inputs so that ``backward(gradient:retainGraph:)`` can apply the
/// chain rule.
///
/// Leaves that require a gradient accumulate it in ``grad`` across `backward` calls until
/// ``zeroGrad()``. A leaf with `requiresGrad == false` (a frozen parameter, an input) gets no gradient,
/// but gradients still flow *through* operations on it to whatever else requires them.
public final class Variable: @unchecked Sendable {
    /// The current value. Optimisers replace it in place on parameters; an operation's result keeps the
    /// value it computed (the recorded graph holds its own references).
    public var value: Tensor
    /// The accumulated gradient of a leaf, `nil` until a backward pass reaches it.
    public var grad: Tensor?
    /// Whether gradients are computed for this value (for results: whether any input required one).
    public var requiresGrad: Bool
    /// An optional name, used in error messages and by modules.
    public var name: String?

    fileprivate(set) var node: Node?
    /// The gradient arriving during one backward pass, before it is passed on.
    var pendingGrad: Tensor?

    /// A leaf holding `value`.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String? = nil) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.node = nil
    }

    init(result value: Tensor, node: Node?) {
        self.value = value
        self.requiresGrad = node != nil
        self.node = node
    }

    /// A leaf that requires a gradient: a trainable parameter.
    public static func parameter(_ value: Tensor, name: String? = nil) -> Variable {
        Variable(value, requiresGrad: true, name: name)
    }

    public var shape: [Int] { value.shape }
    public var rank: Int { value.rank }

    /// Whether this value was given rather than computed.
    public var isLeaf: Bool { node == nil }

    /// The name of the operation that produced this value (`nil` for a leaf).
    public var operation: String? { node?.operation }

    /// The same value as a new leaf outside the graph: gradients do not flow through it.
    public func detached() -> Variable { Variable(value) }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// The single value of a one-element variable.
    public func item() throws -> Float { try value.item() }
}

/// The record of one operation: its inputs and the function that turns the gradient of its result
/// into gradients of its inputs (`nil` where an input needs none).
///
/// Backward closures capture tensors and shapes, never variables: the graph is held only through
/// `inputs`, which lets a long graph be torn down without recursion (see `deinit`).
final class Node {
    let operation: String
    private(set) var inputs: [Variable]
    /// `nil` once a backward pass has used it without retaining the graph: the tensors it saved are
    /// released (so, for example, an optimiser can update parameters in place without copying them).
    private(set) var backward: ((_ gradient: Tensor, _ needs: [Bool]) throws -> [Tensor?])?

    init(_ operation: String, _ inputs: [Variable], _ backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) {
        self.operation = operation
        self.inputs = inputs
        self.backward = backward
    }

    func releaseSavedTensors() { backward = nil }

    /// Releasing the last reference to a chain of thousands of operations (a recurrent network) would
    /// otherwise recurse once per operation and overflow the stack: instead, take over the inputs of
    /// every node that is about to die and release them from a loop.
    deinit {
        var pending = inputs
        inputs = []
        while var v = pending.popLast() {
            guard isKnownUniquelyReferenced(&v), var node = v.node else { continue }
            v.node = nil
            if isKnownUniquelyReferenced(&node) {
                pending.append(contentsOf: node.inputs)
                node.inputs = []
            }
        }
    }
}

extension Variable {
    /// Records an operation: the result is part of the graph when gradients are enabled and any input
    /// requires a gradient; otherwise it is a plain leaf and `backward` is never kept.
    static func record(_ operation: String, _ value: Tensor, _ inputs: [Variable],
                       backward: @escaping (_ gradient: Tensor, _ needs: [Bool]) throws -> [Tensor?]) -> Variable {
        guard GradientMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else {
            return Variable(result: value, node: nil)
        }
        return Variable(result: value, node: Node(operation, inputs, backward))
    }
}

/// Whether operations record the graph. Evaluation code runs inside ``withoutGradient(_:)``.
public enum GradientMode {
    @TaskLocal static var enabled = true

    /// True unless inside ``withoutGradient(_:)``.
    public static var isEnabled: Bool { enabled }

    /// Runs `body` without recording operations: results are plain leaves, nothing is kept for backward.
    public static func withoutGradient<R>(_ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(false) { try body() }
    }
}
