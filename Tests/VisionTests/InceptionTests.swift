import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANVision
import S2IGANFormats

/// Inception-v3 against torchvision 0.29 and pytorch-fid 0.3.0 run with the same hashed weights
/// (Tools/fixtures/make_inception_fixtures.py): names, shapes, stages, features, logits, input gradients.
@Suite(.serialized) struct InceptionTests {
    static let input: Tensor = {
        let values = HashedValues.unit("input", count: 2 * 3 * 64 * 80).map { Float($0) }
        return (try? Tensor(shape: [2, 3, 64, 80], scalars: values)) ?? Tensor(0)
    }()

    /// Built once (a 27-million-parameter network takes seconds to build in a debug build); the suite is
    /// serialised and the models are frozen, so sharing them is safe.
    nonisolated(unsafe) static let models: [InceptionV3.Variant: InceptionV3] = {
        var models: [InceptionV3.Variant: InceptionV3] = [:]
        for variant in InceptionV3.Variant.allCases {
            guard let model = try? InceptionV3(variant: variant), (try? model.load(stateDict: HashedValues.stateDict(like: model.stateDict()))) != nil else { continue }
            models[variant] = model.frozenForInference()
        }
        return models
    }()

    static func model(_ variant: InceptionV3.Variant) throws -> InceptionV3 {
        try #require(models[variant])
    }

    /// `name dtype shape` lines as the fixture script wrote them.
    static func keyLines(_ file: String) throws -> [String] {
        try String(contentsOf: fixtures.url(file), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func describe(_ model: Module) -> [String] {
        let int64 = Set(model.namedBuffers().filter { $0.1.scalarType == .int64 }.map(\.0))
        return model.stateDict().map { name, value in
            "\(name) \(int64.contains(name) ? "int64" : "float32") \(value.shape.isEmpty ? "-" : value.shape.map(String.init).joined(separator: ","))"
        }
    }

    @Test func stateDictsHaveTorchvisionAndPytorchFIDNamesShapesAndOrder() throws {
        #expect(Self.describe(try Self.model(.torchvision)) == (try Self.keyLines("inception_tv_keys.txt")))
        #expect(Self.describe(try Self.model(.fid)) == (try Self.keyLines("fid_inception_keys.txt")))
    }

    @Test func parameterCountsMatchTheSpecification() throws {
        let model = try Self.model(.torchvision)
        let count = { (prefix: String?) in
            model.namedParameters().filter { prefix == nil || $0.0.hasPrefix(prefix!) }.reduce(0) { $0 + $1.1.value.count }
        }
        #expect(count(nil) == 27_161_264)
        #expect(count("AuxLogits.") == 3_326_696 && count("fc.") == 2_049_000)
        #expect(count(nil) - count("AuxLogits.") - count("fc.") == 21_785_568)
        #expect(try Self.model(.fid).parameters().reduce(0) { $0 + $1.value.count } == 23_850_960)
    }

    @Test func hashedWeightsMatchTheScript() throws {
        let w = try HashedValues.parameter("Conv2d_1a_3x3.conv.weight", shape: [32, 3, 3, 3]).scalars
        #expect(Array(w.prefix(3)) == [-0.15198445, 0.121422485, -0.30463365])
        #expect(Array(Self.input.scalars.prefix(3)) == [0.097818315, 0.6523604, 0.20362425])
    }

    @Test func torchvisionFeaturesLogitsAndStagesMatch() throws {
        let model = try Self.model(.torchvision)
        var stages: [String: Tensor] = [:]
        var mixed6e: Variable?
        let features = try GradientMode.withoutGradient { () -> (Tensor, Tensor, Tensor) in
            let x = try model.resizedInput(Variable(Self.input))
            let trunk = try model.trunk(x) { stage, value in
                stages[stage.rawValue] = value.value
                if stage == .mixed6e { mixed6e = value }
            }
            let pooled = try trunk.mean(axes: [2, 3])
            let aux = try model.auxiliaryHead.map { try $0(mixed6e!) }
            return (pooled.value, try model.logits(pooled: pooled).value, aux?.value ?? Tensor(0))
        }
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.url("inception_tv_stages.json"))) as? [String: Any]
        for stage in InceptionV3.Stage.allCases {
            guard let expected = (info?["stages"] as? [String: Any])?[stage.rawValue] as? [String: Any], let value = stages[stage.rawValue] else {
                Issue.record("no stage \(stage)"); continue
            }
            let first = try value.slice(axis: 0, start: 0, end: 1)
            #expect(first.shape.dropFirst().map { $0 } == (expected["shape"] as? [Any])?.ints, "\(stage)")
            let mean = first.scalars.reduce(0.0) { $0 + Double($1) } / Double(first.count)
            let expectedMean = (expected["mean"] as? NSNumber)?.doubleValue ?? .nan
            #expect(abs(mean - expectedMean) < 1e-4 * max(1, abs(expectedMean)), "\(stage): mean \(mean) vs \(expectedMean)")
        }
        expectClose(features.0, try NPY.readTensor(fixtures.url("inception_tv_pooled.npy")), rtol: 1e-4, atol: 1e-4, "pooled")
        expectClose(features.1, try NPY.readTensor(fixtures.url("inception_tv_logits.npy")), rtol: 1e-4, atol: 1e-4, "logits")
        expectClose(features.2, try NPY.readTensor(fixtures.url("inception_tv_aux_logits.npy")), rtol: 1e-4, atol: 1e-4, "aux")
    }

    @Test func fidNetworkMatchesPytorchFID() throws {
        let model = try Self.model(.fid)
        try GradientMode.withoutGradient {
            let x = Variable(Self.input)
            for (dimensions, file) in [(64, "fid_block0"), (192, "fid_block1"), (768, "fid_block2"), (2048, "fid_pool3")] {
                let features = try model.fidFeatures(x, dimensions: dimensions).value
                expectClose(features, try NPY.readTensor(fixtures.url(file + ".npy")), rtol: 1e-4, atol: 1e-4, file)
            }
            let pooled = Variable(try NPY.readTensor(fixtures.url("fid_pool3.npy")))
            expectClose(try model.logits(pooled: pooled).value, try NPY.readTensor(fixtures.url("fid_logits.npy")), rtol: 1e-5, atol: 1e-5)
            expectClose(try model.logits(pooled: pooled, bias: false).value, try NPY.readTensor(fixtures.url("fid_logits_unbiased.npy")),
                        rtol: 1e-5, atol: 1e-5)
        }
    }

    /// clean-fid's "clean" FID (Tools/fixtures/make_cleanfid_fixtures.py): its resize (Pillow's bicubic filter on each
    /// channel as a float image, clipped to [0, 255]) up and down to 299, and the FID network on `(x − 128) / 128`.
    @Test func cleanFIDResizeAndFeaturesMatchCleanFID() throws {
        let folder = temporaryRoot("clean-fid")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [URL] = []
        for (name, height, width) in [("a", 64, 80), ("b", 331, 353)] {
            let pixels = HashedValues.unit("cleanfid.\(name)", count: height * width * 3).map { UInt8(($0 * 256).rounded(.down)) }
            let image = try RGBImage(width: width, height: height, pixels: pixels)
            let resized = try image.cleanResized(width: 299, height: 299).scalars
            // The script's values are [299, 299, 3] (height, width, channel), flattened.
            let n = 299 * 299 * 3
            let hwc = { (i: Int) in resized[(i % 3) * 299 * 299 + (i / 3 / 299) * 299 + (i / 3) % 299] }
            let sub = (0..<4096).map { hwc(($0 * (n - 1)) / 4095) }
            expectClose(Tensor(sub), try NPY.readTensor(fixtures.url("cleanfid_resized_\(name)_sub.npy")), rtol: 1e-6, atol: 1e-4, "resized \(name)")
            let sums = try NPY.readTensor(fixtures.url("cleanfid_resized_\(name)_sum.npy")).scalars
            let sum = resized.reduce(0.0) { $0 + Double($1) }, squares = resized.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(sum - Double(sums[0])) <= 1e-6 * Double(sums[0]) && abs(squares - Double(sums[1])) <= 1e-6 * Double(sums[1]), "\(name): \(sum), \(squares) vs \(sums)")
            let file = folder.appendingPathComponent("\(name).png")
            try image.write(to: file)
            files.append(file)
        }
        let extractor = try ImageFeatureExtractor(model: try Self.model(.fid), preprocessing: .cleanFID)
        let features = try extractor.features(of: files)
        expectClose(features.features, try NPY.readTensor(fixtures.url("cleanfid_pool3.npy")), rtol: 1e-4, atol: 1e-4, "clean-fid pool3")
        #expect(throws: VisionError.self) { try ImageFeatureExtractor(model: try Self.model(.torchvision), preprocessing: .cleanFID) }
    }

    /// The relation supervisor needs gradients through the frozen network to its input.
    @Test func gradientFlowsThroughTheFrozenNetworkToTheInput() throws {
        let model = try Self.model(.torchvision)
        let image = Variable(try Self.input.slice(axis: 0, start: 0, end: 1), requiresGrad: true)
        let probe = HashedValues.unit("grad_probe", count: 2048).map { Float(2 * $0 - 1) }
        let pooled = try model.pooledFeatures(image)
        let loss = try (pooled * Variable(try Tensor(shape: [1, 2048], scalars: probe))).sum()
        try loss.backward()
        let expected = try NPY.readTensor(fixtures.url("inception_tv_input_grad.npy"))
        let gradient = try #require(image.grad)
        // Gradients through 94 ReLU layers are sensitive to float rounding (the unfolded BatchNorm path of
        // this same code differs from the folded one by 0.4 %): compare as a whole, and element-wise loosely.
        let norm = { (v: [Float]) in v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let relative = norm(zip(gradient.scalars, expected.scalars).map { $0 - $1 }) / norm(expected.scalars)
        #expect(relative < 1e-2, "relative L2 error \(relative)")
        expectClose(gradient, expected, rtol: 0, atol: 1e-2 * (expected.scalars.map(abs).max() ?? 1), "input gradient")
        #expect(model.parameters().allSatisfy { $0.grad == nil })
    }

    @Test func weightsLoadFromSafetensorsAndReportMismatches() throws {
        let model = try Self.model(.fid)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inception-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("fid.safetensors")
        try model.save(to: url)
        let reloaded = try InceptionV3(variant: .fid)
        try reloaded.load(weights: url)
        #expect(reloaded.fc.weight.value.scalars == model.fc.weight.value.scalars)
        // A FID file is not a torchvision network: the classifier width and the auxiliary head differ.
        let error = try #require(throws: StateDictError.self) { try Self.model(.torchvision).load(weights: url) }
        #expect(error.missing.contains("AuxLogits.fc.weight") == true)
        #expect(error.shapeMismatches.contains { $0.contains("'fc.weight'") } == true)
    }

    @Test func featureExtractorRunsSortedFilesInBatchesAndListsFailures() throws {
        let model = try Self.model(.torchvision)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copies = [("png_rgb8.png", "b.png"), ("jpeg_q90.jpg", "sub/a.jpg"), ("png_palette.png", "a.png")]
        for (from, to) in copies {
            try FileManager.default.copyItem(at: fixtures.url(from), to: directory.appendingPathComponent(to))
        }
        try Data([0xFF, 0xD8, 0xFF]).write(to: directory.appendingPathComponent("broken.jpg"))
        let files = try ImageFeatureExtractor.imageFiles(in: directory)
        #expect(files.map(\.lastPathComponent) == ["a.png", "b.png", "broken.jpg", "a.jpg"])
        // A list names a subset in its own order, with or without extensions.
        let listed = try ImageFeatureExtractor.imageFiles(in: directory, names: ["sub/a", "b.png", "a"])
        #expect(listed.map { $0.path.replacingOccurrences(of: directory.path + "/", with: "") } == ["sub/a.jpg", "b.png", "a.png"])
        #expect { try ImageFeatureExtractor.imageFiles(in: directory, names: ["b", "sub/missing"]) } throws: { "\($0)".contains("sub/missing") }
        let extractor = try ImageFeatureExtractor(model: model, range: .signed, batchSize: 2)
        let (features, used, failures) = try extractor.features(of: files)
        #expect(features.shape == [3, 2048])
        #expect(used.map(\.lastPathComponent) == ["a.png", "b.png", "a.jpg"])
        #expect(failures.count == 1 && failures[0].1.contains("broken.jpg"))
        let single = try GradientMode.withoutGradient {
            try model.pooledFeatures(Variable(extractor.input(RGBImage.read(directory.appendingPathComponent("sub/a.jpg"))))).value
        }
        expectClose(try features.slice(axis: 0, start: 2, end: 3), single, rtol: 1e-5, atol: 1e-5, "batched vs single")
        #expect(throws: VisionError.self) { try ImageFeatureExtractor(model: Self.model(.fid), range: .signed) }
    }

    @Test func trainingModeRunsTheUnfoldedLayers() throws {
        let conv = try BasicConv2d(3, 4, kernelSize: 3, padding: 1)
        try conv.load(stateDict: HashedValues.stateDict(like: conv.stateDict()))
        var rng = RandomGenerator(seed: 11)
        let x = Variable(try Tensor.uniform([2, 3, 5, 5], using: &rng))
        conv.eval()
        let reference = try conv(x).value
        conv.freeze()
        expectClose(try conv(x).value, reference, rtol: 1e-5, atol: 1e-6, "folded BatchNorm")
        #expect(throws: VisionError.self) { try Self.model(.torchvision).trunk(Variable(Tensor.zeros([1, 3, 60, 60]))) }
    }
}
