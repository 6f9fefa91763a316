import Foundation
import S2IGANFormats
import S2IGANGAN
import S2IGANNN
import S2IGANTensor
import S2IGANVision
import TestSupport
import Testing

/// `gan step --dump` and `gan score` on a folder of weights laid out as the reference's trainer leaves it, against the
/// authors' trainer (`Tests/GANTests/Fixtures/rdg_reference_step.safetensors`, written by
/// `Tools/fixtures/make_rdg_reference_fixtures.py` from their classes on hashed weights and images).
@Suite(.serialized) struct GANStepScoreTests {
    static func fixture() throws -> SafeTensorsFile {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try SafeTensorsFile.read(tests.appendingPathComponent("GANTests/Fixtures/rdg_reference_step.safetensors"))
    }

    /// The script's networks (GF 4, DF 4, …, MD_NET 2 × 1024 → 128 → 4) with its hashed weights, written as
    /// `Model/netG_0`, `netD0`–`netD2`, `netMD`.
    static func writeModels(to root: URL) throws -> URL {
        let a = RDGArchitecture(stages: 3, generatorWidth: 4, discriminatorWidth: 4, noiseSize: 12, conditionSize: 8,
                                speechEmbeddingSize: 16, residualBlocks: 2, relationEmbeddingSize: 1024, relationHiddenSize: 128)
        let models = root.appendingPathComponent("Model")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let modules: [(String, Module)] = [("netG", try Generator(a))] + (try (0..<3).map { ("netD\($0)", try Discriminator.forStage($0, architecture: a)) })
            + [("netMD", try RelationSupervisor(embeddingSize: 1024, hiddenSize: 128))]
        for (name, module) in modules {
            try module.load(stateDict: HashedValues.stateDict(like: module.stateDict(), prefix: name))
            try module.save(to: models.appendingPathComponent((name == "netG" ? "netG_0" : name) + ".safetensors"))
        }
        return models
    }

    static func pixels(_ name: String, size: Int) throws -> TypedArray {
        // U8 pixels, as `gan step` reads them (x / 127.5 − 1).
        try TypedArray(scalarType: .uint8, shape: [3, 3, size, size], bytes: Data(try HashedValues.pixels(name, shape: [3, 3, size, size]).scalars.map { UInt8($0) }))
    }

    @Test func stepDumpsTheReferenceDiscriminatorUpdates() throws {
        let root = try scratchFolder("gan-step")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = try Self.fixture()
        let models = try Self.writeModels(to: root)
        var batch = SafeTensorsFile(metadata: [:])
        for (i, size) in [64, 128, 256].enumerated() {
            batch.arrays["real.\(i)"] = try Self.pixels("batch.real.\(i)", size: size)
            batch.arrays["wrong.\(i)"] = try Self.pixels("batch.wrong.\(i)", size: size)
        }
        batch.arrays["similar"] = try Self.pixels("batch.similar", size: 256)
        for key in ["embeddings", "noise", "epsilon"] {
            let value: TypedArray = try #require(file.arrays["batch.\(key)"])
            batch.arrays[key] = value
        }
        let batchFile = root.appendingPathComponent("batch.safetensors")
        try batch.write(to: batchFile)
        let dump = root.appendingPathComponent("dump")

        // The relation supervisor needs a SEN image encoder: without --sen that is a usage error.
        let usage = try runCLI(["gan", "step", "--model", models.path, "--batch", batchFile.path, "--dump", dump.path])
        #expect(usage.status == 64 && usage.stderr.contains("--sen"), "\(usage.stderr)")

        // Without it, the discriminators' updates (which come before the supervisor's) are the reference's.
        let result = try runCLI(["gan", "step", "--model", root.path, "--batch", batchFile.path, "--dump", dump.path, "--no-relation"])
        #expect(result.status == 0, "\(result.stderr)")
        let trace = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dump.appendingPathComponent("step.json"))) as? [String: Any])
        let discriminators = try #require(trace["discriminators"] as? [[String: Double]])
        for (i, d) in discriminators.enumerated() {
            let expected = try file.tensor("loss.d.\(i)").scalars
            let got = ["real_conditional", "real_unconditional", "wrong_conditional", "wrong_unconditional", "fake_conditional", "fake_unconditional", "total"]
                .map { Float(d[$0] ?? .nan) }
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 2e-6 + 1e-4 * abs($1) }, "errD\(i): \(got) vs \(expected)")
            #expect(result.stdout.contains(String(format: "errD%d %.4f", i, expected[6]).dropLast()), "\(result.stdout)")
        }
        #expect(trace["relation"] == nil || trace["relation"] is NSNull)
        for name in ["netG", "netG_average", "netD0", "netD1", "netD2", "losses"] {
            let ext = name == "losses" ? "json" : "safetensors"
            #expect(FileManager.default.fileExists(atPath: dump.appendingPathComponent("\(name).\(ext)").path), "\(name)")
        }

        // A batch without its noise: one line naming the file and the key.
        batch.arrays["noise"] = nil
        try batch.write(to: batchFile)
        expectOneLineFailure(try runCLI(["gan", "step", "--model", models.path, "--batch", batchFile.path, "--dump", dump.path, "--no-relation"]),
                             naming: batchFile.path, ["'noise'"])
    }

    @Test func scoreGivesTheReferenceDiscriminatorsProbabilities() throws {
        let root = try scratchFolder("gan-score")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = try Self.fixture()
        let models = try Self.writeModels(to: root)
        let images = root.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let real = try HashedValues.pixels("batch.real.2", shape: [3, 3, 256, 256])
        for (k, image) in try (real * (1 / 255)).images().enumerated() { try image.write(to: images.appendingPathComponent("\(k).png")) }
        let embeddings = root.appendingPathComponent("e.npy")
        try NPY.write(try #require(file.arrays["batch.embeddings"]), to: embeddings)
        let json = root.appendingPathComponent("scores.json")
        let result = try runCLI(["gan", "score", "--model", models.path, "--images", images.path, "--embeddings", embeddings.path, "--json", json.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 2 + 3, "\(result.stdout)")
        let scores = try JSONDecoder().decode(RDGScores.self, from: Data(contentsOf: json))
        // The 256 px images are the script's own (PNG is lossless), so the last discriminator's scores are its.
        expectClose(Tensor(scores.conditional[2]), try file.tensor("score.d2.conditional"), rtol: 1e-4, atol: 1e-6, "D2 conditional")
        expectClose(Tensor(scores.unconditional[2]), try file.tensor("score.d2.unconditional"), rtol: 1e-4, atol: 1e-6, "D2 unconditional")
        #expect(scores.conditional.flatMap { $0 }.allSatisfy { (0...1).contains($0) } && scores.relation == nil)

        // One embedding too few: named.
        try NPY.write(try #require(file.arrays["batch.embeddings"]).tensor().slice(axis: 0, start: 0, end: 2), to: embeddings)
        expectOneLineFailure(try runCLI(["gan", "score", "--model", models.path, "--images", images.path, "--embeddings", embeddings.path]),
                             naming: embeddings.path)
    }
}
