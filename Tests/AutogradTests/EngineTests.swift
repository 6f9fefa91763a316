import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANAutograd

@Suite struct EngineTests {
    @Test func handDerivedPolynomial() throws {
        // y = x² + 5x + 4 → dy/dx = 2x + 5
        let x = Variable(Tensor([1, -2, 0.5]), requiresGrad: true)
        let y = try (x.square() + x * 5 + 4).sum()
        try y.backward()
        #expect(x.grad?.scalars == [7, 1, 6])
        #expect(try y.item() == 10 + -2 + 6.75)
    }

    @Test func gradientsAccumulateUntilCleared() throws {
        let w = Variable.parameter(Tensor([2]))
        for _ in 0..<3 { try (w * w).sum().backward() }
        #expect(w.grad?.scalars == [12])
        w.zeroGrad()
        try (w * 3).sum().backward()
        #expect(w.grad?.scalars == [3])
    }

    @Test func reusedValuesSumTheirGradients() throws {
        let x = Variable(Tensor([3]), requiresGrad: true)
        let y = try x * x * x  // x³ → 3x² = 27
        try y.sum().backward()
        #expect(x.grad?.scalars == [27])
    }

    @Test func frozenValuesPassGradientsThrough() throws {
        // A frozen "network" w between the input and the loss: w gets nothing, x still gets w.
        let x = Variable(Tensor([1, 2]), requiresGrad: true)
        let w = Variable.parameter(Tensor([3, 4]))
        w.requiresGrad = false
        try (x * w).sum().backward()
        #expect(w.grad == nil)
        #expect(x.grad?.scalars == [3, 4])
    }

    @Test func detachingAndTheNoGradientScopeStopTheGraph() throws {
        let x = Variable(Tensor([2]), requiresGrad: true)
        let d = try (x.detached() * x).sum()
        try d.backward()
        #expect(x.grad?.scalars == [2])
        let y = try GradientMode.withoutGradient { try (x * x).sum() }
        #expect(!y.requiresGrad && y.isLeaf)
        #expect(GradientMode.isEnabled)
        #expect(throws: AutogradError.self) { try y.backward() }
    }

    @Test func badBackwardCallsThrow() throws {
        let x = Variable(Tensor([1, 2]), requiresGrad: true)
        let y = x * 2
        #expect(throws: AutogradError.nonScalarOutput([2])) { try y.backward() }
        #expect(throws: AutogradError.self) { try y.backward(gradient: Tensor([1, 2, 3])) }
        try y.backward(gradient: Tensor([1, 1]))
        #expect(x.grad?.scalars == [2, 2])
    }

    @Test func aReleasedGraphCannotBeDifferentiatedTwice() throws {
        let x = Variable(Tensor([3]), requiresGrad: true)
        let y = try (x * x).sum()
        try y.backward(retainGraph: true)
        try y.backward()
        #expect(x.grad?.scalars == [12])
        #expect(throws: AutogradError.graphReleased("sum")) { try y.backward() }
    }

    @Test func longChainsDoNotRecurse() throws {
        let x = Variable(Tensor([1]), requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1 }
        try y.sum().backward()
        #expect(x.grad?.scalars == [1])
    }

    @Test func lossesAtTheEdgesMatchPyTorchRules() throws {
        // BCE clamps the log at -100, and its gradient stays finite at p = 0 and 1.
        let p = Variable(Tensor([0, 1]), requiresGrad: true)
        let loss = try Variable.binaryCrossEntropy(p, targets: Tensor([1, 0]))
        #expect(try loss.item() == 100)
        try loss.backward()
        #expect(p.grad!.isFinite)
        #expect(throws: TensorError.self) { try Variable.binaryCrossEntropy(Variable(Tensor([1.5])), targets: Tensor([1])) }
        // Cross-entropy accepts -inf logits of other classes.
        let logits = Variable(try Tensor(shape: [1, 3], scalars: [-.infinity, 0, 0]), requiresGrad: true)
        let ce = try Variable.crossEntropy(logits, targets: [1])
        #expect(abs(try ce.item() - 0.6931472) < 1e-6)
        try ce.backward()
        #expect(logits.grad!.scalars == [0, -0.5, 0.5])
        #expect(throws: TensorError.self) { try Variable.crossEntropy(logits, targets: [3]) }
    }
}
