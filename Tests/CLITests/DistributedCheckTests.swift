import Foundation
import S2IGANDatasets
import S2IGANGAN
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import TestSupport
import Testing

/// `s2igan distributed check` under Open MPI's `mpirun`: two ranks on this machine agree on the code version, a
/// broadcast, a sum and a maximum, and time an all-reduce.
@Suite(.serialized) struct DistributedCheckTests {
    /// Open MPI refuses to start as root without these (CI runs as root).
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"]

    static func mpirun() throws -> URL {
        let candidates = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        return URL(fileURLWithPath: try #require(found, "mpirun is missing: scripts/setup.sh installs openmpi-bin"))
    }

    @Test func twoRanksAgreeAndTimeAnAllReduce() throws {
        let result = try runProcess(Self.mpirun(), ["--oversubscribe", "-np", "2", try cliExecutable().path, "distributed", "check", "--megabytes", "4"],
                                    environment: Self.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Only rank 0 prints.
        // Both ranks are on this machine, as MPI's shared-memory split sees it.
        #expect(lines.first == "2 rank(s), 2 on rank 0's machine: version, broadcast, all-reduce (sum, max) and barrier agree", "\(result.stdout)")
        #expect(lines.count == 2 && lines[1].hasPrefix("all-reduce of 4.0 MB: "), "\(result.stdout)")
    }

    @Test func oneProcessWithoutALauncherIsAGroupOfOne() throws {
        let result = try runCLI(["distributed", "check", "--megabytes", "1"], environment: Self.environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1 rank(s), 1 on rank 0's machine: version, broadcast, all-reduce (sum, max) and barrier agree\nall-reduce: one rank, nothing to exchange\n",
                "\(result.stdout)")
    }

    /// Two builds (here: the same executable and a copy with one byte more) refuse to run as one job, and every rank
    /// says so naming itself.
    @Test func ranksOfDifferentBuildsRefuseToRunTogether() throws {
        let folder = try scratchFolder("mpi-builds")
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("s2igan-a"), b = folder.appendingPathComponent("s2igan-b")
        try FileManager.default.copyItem(at: try cliExecutable(), to: a)
        try FileManager.default.copyItem(at: try cliExecutable(), to: b)
        let handle = try FileHandle(forWritingTo: b)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let result = try runProcess(Self.mpirun(), ["--oversubscribe", "-np", "1", a.path, "distributed", "check", "--megabytes", "1", ":",
                                                    "-np", "1", b.path, "distributed", "check", "--megabytes", "1"], environment: Self.environment)
        #expect(result.status != 0)
        for rank in 0..<2 {
            #expect(result.stderr.contains("rank \(rank) of 2: ranks disagree: the ranks were started with different code versions"), "\(result.stderr)")
        }
    }

    /// `sen extract`, `gan generate`, `features audio`, `features image` and `eval fid` with `--distributed` on 2 ranks
    /// write exactly the files (and the value) of one process: the work is split over the ranks, results joined where they make one file,
    /// and no number changes.
    @Test func shardedBatchJobsWriteTheSingleProcessFiles() throws {
        let root = try scratchFolder("mpi-jobs")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize) = (3, 5, 2, 64)
        _ = try SpokenFlowers.build(options, root: data)
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.attentionHidden) = ([8, 12], 8, 6)
        let encoder = try Initialization.seeded(3) { try SpeechEncoder(c) }
        let encoderFile = root.appendingPathComponent("best_audio_model.safetensors")
        try encoder.save(to: encoderFile)
        let architecture = RDGArchitecture(stages: 2, generatorWidth: 4, discriminatorWidth: 4, noiseSize: 6, conditionSize: 4, speechEmbeddingSize: 16)
        let generator = try Initialization.seeded(4) { try Generator(architecture) }
        let generatorFile = root.appendingPathComponent("netG_0.safetensors")
        try generator.save(to: generatorFile)

        func run(_ arguments: [String], ranks: Int) throws {
            let result = ranks == 1 ? try runCLI(arguments)
                : try runProcess(Self.mpirun(), ["--oversubscribe", "-np", "\(ranks)", try cliExecutable().path] + arguments + ["--distributed"],
                                 environment: Self.environment)
            #expect(result.status == 0, "\(arguments[0]) \(arguments[1]) on \(ranks) rank(s): \(result.stderr)")
        }
        for ranks in [1, 2] {
            let embeddings = root.appendingPathComponent("embeddings-\(ranks)"), images = root.appendingPathComponent("images-\(ranks)")
            try run(["sen", "extract", "--dataset", "spoken-flowers", "--root", data.path, "--model", encoderFile.path, "--output", embeddings.path], ranks: ranks)
            try run(["gan", "generate", "--model", generatorFile.path, "--dataset", "spoken-flowers", "--root", data.path, "--embeddings", embeddings.path,
                     "--output", images.path, "--batch-size", "2", "--all-stages"], ranks: ranks)
        }
        let (embeddings1, embeddings2) = (try files(under: root.appendingPathComponent("embeddings-1")), try files(under: root.appendingPathComponent("embeddings-2")))
        #expect(embeddings1.count == 4 && embeddings1 == embeddings2, "\(embeddings1.keys.sorted()) vs \(embeddings2.keys.sorted())")
        let (images1, images2) = (try files(under: root.appendingPathComponent("images-1")), try files(under: root.appendingPathComponent("images-2")))
        #expect(images1.count > 8 && images1 == images2, "\(images1.count) vs \(images2.count) files")

        // features audio (each output its own file) and features image (rows joined on rank 0), on 1 and 2 ranks.
        let oxford = data.appendingPathComponent("Oxford102")
        let mel = oxford.appendingPathComponent("audio_mel")
        let reference = try files(under: mel)
        // Four images in batches of two, one batch per rank (a 24-million-parameter network in a debug build is slow):
        // sharding by image instead would batch images 0 and 2 together, and the GEMM of another batch sums in another
        // order. The FID network keeps its random initialisation, saved once for every run.
        let few = root.appendingPathComponent("few-images"), real = root.appendingPathComponent("real-images")
        let all = try ImageFeatureExtractor.imageFiles(in: oxford.appendingPathComponent("images"))
        for (folder, files) in [(few, Array(all.prefix(4))), (real, Array(all.suffix(3)))] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (k, url) in files.enumerated() { try FileManager.default.copyItem(at: url, to: folder.appendingPathComponent("\(k).\(url.pathExtension)")) }
        }
        let weights = root.appendingPathComponent("fid.safetensors")
        try InceptionV3(variant: .fid).save(to: weights)
        for ranks in [1, 2] {
            try FileManager.default.removeItem(at: mel)
            try run(["features", "audio", "--dataset", "oxford", data.path], ranks: ranks)
            #expect(try files(under: mel) == reference, "audio features on \(ranks) rank(s)")
            try run(["features", "image", "--backbone", "fid-inception", "--weights", weights.path, "--images", few.path, "--batch-size", "2",
                     "--output", root.appendingPathComponent("features-\(ranks).npy").path], ranks: ranks)
        }
        var values: [Double] = []
        for ranks in [1, 2] {
            let json = root.appendingPathComponent("fid-\(ranks).json")
            try run(["eval", "fid", "--images", few.path, "--real", real.path, "--weights", weights.path, "--batch-size", "2", "--json", json.path], ranks: ranks)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]])
            values.append(try #require(rows.first?["fid"] as? Double))
        }
        #expect(values[0] == values[1] && values[0] > 0, "\(values)")
        for name in ["features-%d.npy", "features-%d.txt"] {
            let (one, two) = (try Data(contentsOf: root.appendingPathComponent(String(format: name, 1))), try Data(contentsOf: root.appendingPathComponent(String(format: name, 2))))
            #expect(one == two && one.count > 1000 || name.hasSuffix("txt") && one == two, "\(name): \(one.count) vs \(two.count) bytes")
        }
    }
}
