import TestSupport
import Testing
import S2IGANTensor
import S2IGANAutograd
@testable import S2IGANNN

@Suite struct TrainingTests {
    /// A small conv net learns to tell bright from dark 8×8 images; the loss must fall well below chance.
    @Test func aSmallNetworkLearns() throws {
        var rng = RandomGenerator(seed: 2)
        let model = try Initialization.seeded(1) {
            Sequential(try Conv2d(1, 4, kernelSize: 3, padding: 1), try BatchNorm2d(4), LeakyReLU(negativeSlope: 0.2),
                       MaxPool2d(kernel: 2), Flatten(), try Linear(64, 1))
        }
        let optimizer = try Adam(parameters: model.parameters(), learningRate: 0.01)
        var labels = [Float](), images = [Tensor]()
        for i in 0..<32 {
            let bright = i % 2 == 0
            labels.append(bright ? 1 : 0)
            images.append(try Tensor.normal([1, 8, 8], mean: bright ? 0.5 : -0.5, std: 1, using: &rng))
        }
        let x = Variable(try Tensor.stack(images)), y = try Tensor(shape: [32, 1], scalars: labels)
        var first: Float = 0, last: Float = 0
        for step in 0..<60 {
            optimizer.zeroGrad()
            let loss = try Variable.binaryCrossEntropyWithLogits(model(x), targets: y)
            if step == 0 { first = try loss.item() }
            last = try loss.item()
            try loss.backward()
            try optimizer.step()
        }
        #expect(first > 0.5)
        #expect(last < 0.1, "loss fell from \(first) to \(last)")
    }
}
