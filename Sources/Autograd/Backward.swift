import S2IGANTensor

extension Variable {
    /// Back-propagates from this value: `gradient` is d(loss)/d(self), by default 1 for a one-element
    /// value. Gradients of leaves that require one are added to their ``grad``.
    ///
    /// As in PyTorch, the tensors the graph saved for differentiation are released on the way unless
    /// `retainGraph` is set; a second backward pass through the same operations then throws.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        guard requiresGrad else { throw AutogradError.noGradient(name.map { "'\($0)'" } ?? "the value") }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == value.shape else {
                throw AutogradError.gradientShape(operation: "backward", expected: value.shape, got: gradient.shape)
            }
            seed = gradient
        } else {
            guard value.count == 1 else { throw AutogradError.nonScalarOutput(value.shape) }
            seed = try Tensor.ones(value.shape)
        }
        let order = topologicalOrder()
        pendingGrad = seed
        // Clear what is left over from an interrupted pass before propagating.
        defer { for v in order { v.pendingGrad = nil } }
        for v in order.reversed() {
            guard let g = v.pendingGrad else { continue }
            v.pendingGrad = nil
            guard let node = v.node else {
                v.grad = try v.grad.map { try $0 + g } ?? g
                continue
            }
            guard let derivative = node.backward else { throw AutogradError.graphReleased(node.operation) }
            let needs = node.inputs.map(\.requiresGrad)
            let grads = try derivative(g, needs)
            if !retainGraph { node.releaseSavedTensors() }
            for (input, grad) in zip(node.inputs, grads) where input.requiresGrad {
                guard let grad else { continue }
                guard grad.shape == input.value.shape else {
                    throw AutogradError.gradientShape(operation: node.operation, expected: input.value.shape, got: grad.shape)
                }
                input.pendingGrad = try input.pendingGrad.map { try $0 + grad } ?? grad
            }
        }
    }

    /// Every value this one depends on that requires a gradient, inputs before the values computed from
    /// them (iterative depth-first search, so long chains such as recurrent networks do not recurse).
    func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (v, expanded) = stack.popLast() {
            if expanded {
                order.append(v)
                continue
            }
            guard visited.insert(ObjectIdentifier(v)).inserted else { continue }
            stack.append((v, true))
            for input in v.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
