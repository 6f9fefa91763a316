import TestSupport
import Foundation
import Testing
import S2IGANTensor
import S2IGANAutograd
@testable import S2IGANNN
import S2IGANFormats

@Suite struct LayerTests {
    let f: SafeTensorsFile
    init() throws { f = try fixtures.load("layers") }

    @Test func linearMatchesPyTorch() throws {
        let layer = try Linear(5, 3)
        try layer.load(stateDict: ["weight": f.tensor("linear.weight"), "bias": f.tensor("linear.bias")])
        let x = Variable(try f.tensor("linear.x"), requiresGrad: true)
        let y = try layer(x)
        expectClose(y.value, try f.tensor("linear.out"), "forward")
        try y.backward(gradient: f.tensor("linear.g"))
        expectClose(x.grad!, try f.tensor("linear.grad_x"), "grad x")
        expectClose(layer.weight.grad!, try f.tensor("linear.grad_weight"), "grad weight")
        expectClose(layer.bias!.grad!, try f.tensor("linear.grad_bias"), "grad bias")
    }

    @Test func conv2dWithoutBiasMatchesPyTorch() throws {
        let layer = try Conv2d(3, 4, kernelSize: 3, padding: 1, bias: false)
        #expect(layer.stateDictKeys == ["weight"])
        try layer.load(stateDict: ["weight": f.tensor("conv2d.weight")])
        let x = Variable(try f.tensor("conv2d.x"), requiresGrad: true)
        let y = try layer(x)
        expectClose(y.value, try f.tensor("conv2d.out"), "forward")
        try y.backward(gradient: f.tensor("conv2d.g"))
        expectClose(x.grad!, try f.tensor("conv2d.grad_x"), "grad x")
        expectClose(layer.weight.grad!, try f.tensor("conv2d.grad_weight"), "grad weight")
    }

    /// Three training steps update the running statistics as PyTorch does; the third is differentiated;
    /// evaluation mode then uses the running statistics.
    @Test(arguments: ["bn2d", "bn1d"])
    func batchNormMatchesPyTorch(_ name: String) throws {
        let features = try f.tensor("\(name).weight").count
        let bn: BatchNorm = name == "bn2d" ? try BatchNorm2d(features) : try BatchNorm1d(features)
        bn.weight!.value = try f.tensor("\(name).weight")
        bn.bias!.value = try f.tensor("\(name).bias")
        for k in 1...2 { _ = try GradientMode.withoutGradient { try bn(Variable(try f.tensor("\(name).x\(k)"))) } }
        let x3 = Variable(try f.tensor("\(name).x3"), requiresGrad: true)
        let y = try bn(x3)
        expectClose(y.value, try f.tensor("\(name).out3"), "forward")
        try y.backward(gradient: f.tensor("\(name).g"))
        expectClose(x3.grad!, try f.tensor("\(name).grad_x3"), rtol: 1e-3, atol: 1e-4, "grad x")
        expectClose(bn.weight!.grad!, try f.tensor("\(name).grad_weight"), rtol: 1e-3, atol: 1e-4, "grad weight")
        expectClose(bn.bias!.grad!, try f.tensor("\(name).grad_bias"), "grad bias")
        expectClose(bn.runningMean!.value, try f.tensor("\(name).running_mean"), "running mean")
        expectClose(bn.runningVariance!.value, try f.tensor("\(name).running_var"), "running var")
        #expect(try bn.batchesTracked!.value.item() == f.tensor("\(name).num_batches_tracked").item())
        bn.eval()
        expectClose(try bn(Variable(try f.tensor("\(name).x1"))).value, try f.tensor("\(name).eval_out"), "eval")
    }

    @Test func batchNorm1dOnSequences() throws {
        let bn = try BatchNorm1d(3)
        expectClose(try bn(Variable(try f.tensor("bn1d3.x"))).value, try f.tensor("bn1d3.out"), "forward")
        expectClose(bn.runningMean!.value, try f.tensor("bn1d3.running_mean"), "running mean")
        expectClose(bn.runningVariance!.value, try f.tensor("bn1d3.running_var"), "running var")
        #expect(throws: NNError.self) { try bn(Variable(try Tensor.zeros([2, 4, 5]))) }
        #expect(throws: NNError.self) { try bn(Variable(try Tensor.zeros([1, 3]))) }
    }

    @Test func gluMatchesPyTorch() throws {
        let x = Variable(try f.tensor("glu.x"), requiresGrad: true)
        let y = try GLU()(x)
        expectClose(y.value, try f.tensor("glu.out"), "forward")
        try y.backward(gradient: f.tensor("glu.g"))
        expectClose(x.grad!, try f.tensor("glu.grad_x"), "grad")
        #expect(throws: NNError.self) { try GLU()(Variable(try Tensor.zeros([2, 3]))) }
    }

    @Test func lossesMatchPyTorch() throws {
        let p = Variable(try f.tensor("bce.p"), requiresGrad: true)
        let bce = try Variable.binaryCrossEntropy(p, targets: f.tensor("bce.t"))
        expectClose(bce.value, try f.tensor("bce.out"), "bce")
        try bce.backward()
        expectClose(p.grad!, try f.tensor("bce.grad_p"), "bce grad")

        let z = Variable(try f.tensor("bce_logits.z"), requiresGrad: true)
        let bcel = try Variable.binaryCrossEntropyWithLogits(z, targets: f.tensor("bce_logits.t"))
        expectClose(bcel.value, try f.tensor("bce_logits.out"), "bce with logits")
        try bcel.backward()
        expectClose(z.grad!, try f.tensor("bce_logits.grad_z"), "bce with logits grad")

        let logits = Variable(try f.tensor("ce.logits"), requiresGrad: true)
        let ce = try Variable.crossEntropy(logits, targets: f.tensor("ce.target").scalars.map { Int($0) })
        expectClose(ce.value, try f.tensor("ce.out"), "cross-entropy")
        try ce.backward()
        expectClose(logits.grad!, try f.tensor("ce.grad_logits"), "cross-entropy grad")

        let mu = Variable(try f.tensor("kl.mu"), requiresGrad: true), logvar = Variable(try f.tensor("kl.logvar"), requiresGrad: true)
        let kl = try Variable.gaussianKLDivergence(mean: mu, logVariance: logvar)
        expectClose(kl.value, try f.tensor("kl.out"), "KL")
        try kl.backward()
        expectClose(mu.grad!, try f.tensor("kl.grad_mu"), "KL grad mu")
        expectClose(logvar.grad!, try f.tensor("kl.grad_logvar"), "KL grad logvar")

        let a = Variable(try f.tensor("mse.a"), requiresGrad: true)
        let mse = try Variable.meanSquaredError(a, Variable(try f.tensor("mse.b")))
        expectClose(mse.value, try f.tensor("mse.out"), "MSE")
        try mse.backward()
        expectClose(a.grad!, try f.tensor("mse.grad_a"), "MSE grad")
    }

    @Test func dropoutAndModes() throws {
        let drop = try Dropout(probability: 0.5)
        let x = Variable(try Tensor.ones([1000]))
        let y = try drop(x).value
        #expect(Set(y.scalars).isSubset(of: [0, 2]))
        #expect(abs(try y.mean().item() - 1) < 0.15)
        drop.eval()
        #expect(try drop(x).value.isIdentical(to: x.value))
        #expect(throws: NNError.self) { try Dropout(probability: 1) }
    }

    @Test func poolingAndResizingLayers() throws {
        let x = Variable(try Tensor.arange(0, 16).reshaped([1, 1, 4, 4]))
        #expect(try MaxPool2d(kernel: 2)(x).value.scalars == [5, 7, 13, 15])
        #expect(try AvgPool2d(kernel: 2)(x).value.scalars == [2.5, 4.5, 10.5, 12.5])
        #expect(try GlobalAvgPool2d()(x).value.scalars == [7.5])
        #expect(try UpsampleNearest(scale: 2)(x).value.shape == [1, 1, 8, 8])
        let s = Variable(try Tensor.arange(0, 6).reshaped([1, 1, 6]))
        #expect(try MaxPool1d(kernel: 2)(s).value.scalars == [1, 3, 5])
        #expect(try AvgPool1d(kernel: 3)(s).value.scalars == [1, 4])
        #expect(try Flatten()(x).value.shape == [1, 16])
    }
}
