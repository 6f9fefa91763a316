import Foundation
import Testing

// The examples of Docs/library.md, compiled and run here. The test below checks that the guide's code blocks
// are these lines, so the guide cannot drift from code that builds.

// BEGIN EXAMPLE train
import S2IGANAutograd
import S2IGANDatasets
import S2IGANNN
import S2IGANTensor
import S2IGANVision

/// Trains a small convolutional network to name a flower's petal colour from a 32 × 32 picture drawn by the
/// built-in renderer, and returns the first and last training loss and the accuracy on flowers it never saw.
func trainPetalColourClassifier(steps: Int = 40) throws -> (firstLoss: Float, lastLoss: Float, accuracy: Double) {
    // Data: labelled pictures from the spoken-flowers design (no files needed).
    var options = SpokenFlowersOptions()
    (options.classes, options.imagesPerClass) = (14, 8)
    let plan = try SpokenFlowers.plan(options)
    let train = plan.images.filter { $0.split == .train }, test = plan.images.filter { $0.split == .test }
    func batch(_ images: [SpokenFlowers.Image]) throws -> (inputs: Tensor, labels: [Int]) {
        let pictures = try images.map { try FlowerRenderer.render($0.flower, size: 32) }
        return (try Tensor.batch(pictures, range: .signed), images.map { $0.flower.color.rawValue })   // [N, 3, 32, 32] in [−1, 1]
    }
    let (inputs, labels) = try batch(train)

    // Model: layers named and initialised as PyTorch's; seeded for a reproducible start.
    let model = try Initialization.seeded(1) {
        Sequential(try Conv2d(3, 16, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernel: 2),
                   try Conv2d(16, 32, kernelSize: 3, padding: 1), ReLU(), GlobalAvgPool2d(), Flatten(),
                   try Linear(32, FlowerColor.allCases.count))
    }
    let optimizer = try Adam(parameters: model.parameters(), learningRate: 1e-2)

    // Training: forward, loss, backward, step.
    var losses: [Float] = []
    for _ in 0..<steps {
        optimizer.zeroGrad()
        let loss = try Variable.crossEntropy(model(Variable(inputs)), targets: labels)
        try loss.backward()
        try optimizer.step()
        losses.append(try loss.value.item())
    }

    // Evaluation on the held-out classes, without recording a graph.
    model.eval()
    let (testInputs, testLabels) = try batch(test)
    let predicted = try GradientMode.withoutGradient { try model(Variable(testInputs)).value.argmax(axis: 1) }
    let correct = zip(predicted.indices, testLabels).filter { $0 == $1 }.count
    return (losses[0], losses[losses.count - 1], Double(correct) / Double(testLabels.count))
}
// END EXAMPLE train

// BEGIN EXAMPLE layer
/// A layer of our own: `y = x · sigmoid(α)`, one learned gate per feature (the last axis).
final class FeatureGate: Module, Layer {
    let alpha: Variable

    init(features: Int) throws {
        alpha = .parameter(try Tensor.zeros([features]))
        super.init()
    }

    func callAsFunction(_ input: Variable) throws -> Variable {
        guard input.shape.last == alpha.shape[0] else {
            throw TensorError.shapeMismatch("FeatureGate: input \(input.shape) must end in \(alpha.shape[0]) features")
        }
        return try input * alpha.sigmoid()
    }
}

/// Its unit test: the gradients back-propagation gives agree with finite differences, for the input and the
/// parameter, and its state dict names the parameter as PyTorch would (`alpha`).
func checkFeatureGate() throws -> Bool {
    let gate = try FeatureGate(features: 5)
    var rng = RandomGenerator(seed: 7)
    gate.alpha.value = try Tensor.normal([5], using: &rng)
    let x = Variable(try Tensor.normal([3, 5], using: &rng), requiresGrad: true)
    let result = try GradientCheck.check([x, gate.alpha]) { try gate(x) }
    return result.passed && gate.stateDict().map(\.0) == ["alpha"]
}
// END EXAMPLE layer

struct LibraryExampleTests {
    @Test func theTrainingExampleLearns() throws {
        let (first, last, accuracy) = try trainPetalColourClassifier()
        #expect(last < first / 2, "loss \(first) → \(last)")
        #expect(accuracy >= 0.75, "held-out accuracy \(accuracy)")
    }

    @Test func theLayerExamplePassesTheGradientCheck() throws {
        #expect(try checkFeatureGate())
    }

    /// Each `swift` block of Docs/library.md marked `<!-- example: NAME -->` equals the lines between this
    /// file's `BEGIN EXAMPLE NAME` and `END EXAMPLE NAME`.
    @Test func theGuideShowsTheCompiledCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let repository = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let guide = try String(contentsOf: repository.appendingPathComponent("Docs/library.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        for name in ["train", "layer"] {
            let code = try #require(Self.between("// BEGIN EXAMPLE \(name)\n", "// END EXAMPLE \(name)\n", in: source))
            let block = try #require(Self.between("<!-- example: \(name) -->\n```swift\n", "```\n", in: guide), "no example '\(name)' in Docs/library.md")
            #expect(block == code, "Docs/library.md's '\(name)' example differs from LibraryExampleTests.swift")
        }
    }

    static func between(_ start: String, _ end: String, in text: String) -> String? {
        guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else { return nil }
        return String(text[a.upperBound..<b.lowerBound])
    }
}
