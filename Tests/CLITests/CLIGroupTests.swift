import Foundation
import S2IGANFormats
import S2IGANTensor
import Testing

/// Every command group: a bad option value or a missing choice is a usage error (exit code 64) that shows that
/// subcommand's usage and says what is wrong; a bad input file is one line on stderr naming it (exit code 1).
@Suite(.serialized) struct CLIGroupTests {
    /// Checks the usage-error contract: exit 64, the message, the subcommand's own usage and where its help is.
    func expectUsageError(_ arguments: [String], usage: String, _ words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try runCLI(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("Error: "), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("Usage: s2igan \(usage)"), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("See 's2igan \(usage.split(separator: " ").prefix { !$0.hasPrefix("-") && !$0.hasPrefix("<") && !$0.hasPrefix("[") }.joined(separator: " ")) --help'"),
                "\(result.stderr)", sourceLocation: sourceLocation)
        for word in words { #expect(result.stderr.contains(word), "\(arguments) must say '\(word)': \(result.stderr)", sourceLocation: sourceLocation) }
        #expect(result.stdout.isEmpty, "\(result.stdout)", sourceLocation: sourceLocation)
    }

    @Test func benchUsageErrors() throws {
        try expectUsageError(["bench", "gemm", "--shapes", "3x3"], usage: "bench gemm", ["--shapes: '3x3' is not MxNxK"])
        try expectUsageError(["bench", "conv", "--algorithm", "fast"], usage: "bench conv", ["'fast'", "'im2col'", "'winograd'"])
        try expectUsageError(["bench", "conv", "--only", "d64_conv1,nonsense"], usage: "bench conv", ["unknown case(s) nonsense"])
        try expectUsageError(["bench", "gru", "--batches", "0"], usage: "bench gru", ["--batches: give positive batch sizes"])
        try expectUsageError(["bench", "gan-step", "--stages", "4"], usage: "bench gan-step", ["--stages must be 1, 2 or 3, got 4"])
        try expectUsageError(["bench", "loader", "--images", "4", "--batch", "8"], usage: "bench loader", ["--images (4)"])
        try expectUsageError(["bench", "mlp", "--threads", "0"], usage: "bench mlp", ["--threads must be at least 1"])
        try expectUsageError(["bench", "sen-step", "--batches", "1"], usage: "bench sen-step", ["--batches: give batch sizes above 1"])
    }

    @Test func benchNamesAnOutputFolderItCannotCreate() throws {
        let root = try scratchFolder("bench")
        defer { try? FileManager.default.removeItem(at: root) }
        let blocker = root.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: blocker)
        let images = blocker.appendingPathComponent("images")
        expectOneLineFailure(try runCLI(["bench", "fid", "--images", images.path, "--count", "1"]), naming: images.path)
    }

    @Test func featuresUsageErrors() throws {
        let root = try scratchFolder("features")
        defer { try? FileManager.default.removeItem(at: root) }
        try expectUsageError(["features", "audio", "--dataset", "nonsense", root.path], usage: "features audio", ["'nonsense'", "'cub'"])
        try expectUsageError(["features", "audio", "--sample-rate", "5", "a.wav"], usage: "features audio", ["--sample-rate must be between"])
        try expectUsageError(["features", "image", "--backbone", "resnet", "--images", root.path, "--output", "f.npy"], usage: "features image",
                             ["'resnet'", "'inception-v3'", "'fid-inception'"])
        try expectUsageError(["features", "image", "--range", "wide", "--images", root.path, "--output", "f.npy"], usage: "features image",
                             ["'wide'", "'unit'", "'signed'"])
        try expectUsageError(["features", "image", "--images", root.path, "--output", "f.npy"], usage: "features image", ["--random-weights"])
    }

    @Test func datasetUsageErrors() throws {
        let root = try scratchFolder("dataset")
        defer { try? FileManager.default.removeItem(at: root) }
        try expectUsageError(["dataset", "info", "--dataset", "birdz", "--root", root.path], usage: "dataset info", ["unknown --dataset 'birdz'"])
        try expectUsageError(["dataset", "speak", "--dataset", "places", "--root", root.path, "--text", root.path], usage: "dataset speak",
                             ["'places'", "'generic'"])
        try expectUsageError(["dataset", "speak", "--dataset", "CUB", "--root", root.path, "--text", root.path, "--engine", "festival"],
                             usage: "dataset speak", ["'festival'", "'espeak-ng'"])
        try expectUsageError(["dataset", "speak", "--dataset", "cub", "--root", root.path, "--text", root.path, "--engine", "command"],
                             usage: "dataset speak", ["--engine command needs --command TEMPLATE"])
    }

    @Test func senUsageErrorsAndBadInputs() throws {
        let root = try scratchFolder("sen")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run").path
        try expectUsageError(["sen", "train", "--dataset", "nonsense", "--root", root.path, "--output", run], usage: "sen train",
                             ["unknown --dataset 'nonsense'", "cub, oxford"])
        try expectUsageError(["sen", "train", "--dataset", "birds", "--root", root.path, "--output", run, "--image-encoder", "resnet"],
                             usage: "sen train", ["'resnet'", "'inception'", "'convolutional'"])
        try expectUsageError(["sen", "train", "--dataset", "cub", "--root", root.path, "--output", run, "--validation-images", "all"],
                             usage: "sen train", ["'all'", "'random'", "'center'"])
        try expectUsageError(["sen", "embed", "--model", run, "--output", "e.npy"], usage: "sen embed", ["give --wav or --mel files"])
        let absent = root.appendingPathComponent("absent-model")
        let result = try runCLI(["sen", "embed", "--model", absent.path, "--mel", root.appendingPathComponent("m.npy").path, "--output",
                                 root.appendingPathComponent("e.npy").path])
        expectOneLineFailure(result, naming: absent.path)
    }

    @Test func ganUsageErrorsAndBadInputs() throws {
        let root = try scratchFolder("gan")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out").path
        try expectUsageError(["gan", "train", "--dataset", "nonsense", "--root", root.path, "--embeddings", root.path, "--output", out],
                             usage: "gan train", ["unknown --dataset 'nonsense'"])
        try expectUsageError(["gan", "generate", "--model", root.path, "--embeddings", root.path, "--output", out, "--split", "validation"],
                             usage: "gan generate", ["'validation'", "'train'", "'test'"])
        try expectUsageError(["gan", "generate", "--model", root.path, "--embeddings", root.path, "--output", out, "--first-epoch", "5",
                              "--last-epoch", "1"], usage: "gan generate", ["--first-epoch 5 is after --last-epoch 1"])
        let generators = root.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: generators, withIntermediateDirectories: true)
        try Data().write(to: generators.appendingPathComponent("netG_3.safetensors"))
        try expectUsageError(["gan", "generate", "--model", generators.path, "--embeddings", root.path, "--output", out], usage: "gan generate",
                             ["a split needs --dataset and --root"])
        let absent = root.appendingPathComponent("netG_9.safetensors")
        expectOneLineFailure(try runCLI(["gan", "generate", "--model", absent.path, "--embeddings", root.appendingPathComponent("e.npy").path,
                                         "--output", out]), naming: absent.path, ["no such file or folder"])
        // A folder of generators without any in the range names the folder and the epochs it has.
        expectOneLineFailure(try runCLI(["gan", "generate", "--model", generators.path, "--embeddings", root.appendingPathComponent("e.npy").path,
                                         "--output", out, "--first-epoch", "100"]), naming: generators.path, ["3"])
        // An embeddings file that is not an .npy array names the file.
        let embeddings = root.appendingPathComponent("e.npy")
        try Data("not numpy".utf8).write(to: embeddings)
        let model = root.appendingPathComponent("g.pth")
        try Data("not a checkpoint".utf8).write(to: model)
        expectOneLineFailure(try runCLI(["gan", "generate", "--model", model.path, "--embeddings", embeddings.path, "--output", out]),
                             naming: model.path)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func evalUsageErrors() throws {
        let root = try scratchFolder("eval")
        defer { try? FileManager.default.removeItem(at: root) }
        try expectUsageError(["eval", "is", "--images", root.path, "--variant", "other"], usage: "eval is", ["'other'", "'reference'", "'fidelity'"])
        // The images are checked first (an empty folder is named at once), then the weights the network needs.
        try Data([0x89]).write(to: root.appendingPathComponent("a.png"))
        try expectUsageError(["eval", "is", "--images", root.path], usage: "eval is", ["--weights is needed"])
        try expectUsageError(["eval", "flowers", "--root", root.path, "--sen", root.path, "--generated", root.path, "--split", "dev"],
                             usage: "eval flowers", ["'dev'"])
        let list = root.appendingPathComponent("absent.pickle")
        let weights = root.appendingPathComponent("w.pth")
        try Data().write(to: weights)
        expectOneLineFailure(try runCLI(["eval", "recall", "--images", root.path, "--weights", weights.path, "--list", list.path,
                                         "--real-images", root.path]), naming: list.path)
    }

    @Test func demoAndSayUsageErrors() throws {
        let root = try scratchFolder("demo")
        defer { try? FileManager.default.removeItem(at: root) }
        try expectUsageError(["demo", "--output", root.path, "--through", "nowhere"], usage: "demo", ["'nowhere'", "- dataset", "- report"])
        try expectUsageError(["say"], usage: "say", ["give the text to say or --wav FILE"])
        try expectUsageError(["say", "red flower", "--wav", "a.wav"], usage: "say", ["give the text to say or --wav FILE"])
        let absent = root.appendingPathComponent("no-demo")
        expectOneLineFailure(try runCLI(["say", "--wav", root.appendingPathComponent("a.wav").path, "--model", absent.path,
                                         "--output", root.appendingPathComponent("f.png").path]), naming: absent.path)
    }

    @Test func convertUsageErrorsNameThePair() throws {
        try expectUsageError(["convert", "g.pth", "g.npy"], usage: "convert <input> <output>", ["a PyTorch checkpoint converts to .safetensors"])
        try expectUsageError(["convert", "a.npy", "b.json"], usage: "convert <input> <output>", ["don't know how to write", "b.json"])
    }
}
