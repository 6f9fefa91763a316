import ArgumentParser
import Foundation
import S2IGANBench
import S2IGANTensor
import Testing

/// The fewest runs `Timing` allows: the tests check what the benchmarks report and refuse, never how fast they are.
let quick = Timing(targetSeconds: 0, minimumRuns: 1)

/// Runs `benchmark` and collects its records.
func records(_ run: ((BenchmarkRecord) -> Void) throws -> Void) throws -> [BenchmarkRecord] {
    var rows: [BenchmarkRecord] = []
    try run { rows.append($0) }
    return rows
}

/// Every record carries the context, a positive median time and valid JSON.
func expectWellFormed(_ row: BenchmarkRecord, bench: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(row["bench"] as? String == bench, sourceLocation: sourceLocation)
    #expect(row["lib"] as? String == "s2igan-swift", sourceLocation: sourceLocation)
    #expect((row["threads"] as? Int ?? 0) >= 1, sourceLocation: sourceLocation)
    #expect(row["openblas_core"] is String, sourceLocation: sourceLocation)
    #expect(jsonLine(row) != nil, "\(row)", sourceLocation: sourceLocation)
}

@Suite(.serialized) struct BenchmarkTests {
    @Test func timingRunsTheBodyTheRequestedTimesAndReportsTheMedian() throws {
        var calls = 0
        let t = Timing(targetSeconds: 0, minimumRuns: 3).median { calls += 1 }
        // A warm-up and a probe before the timed runs.
        #expect(t.runs == 3 && calls == 5)
        #expect(t.milliseconds >= 0)
    }

    @Test func jsonLinesHaveSortedKeys() throws {
        #expect(jsonLine(["b": 1, "a": "x", "c": [1, 2]]) == #"{"a":"x","b":1,"c":[1,2]}"#)
        #expect(jsonLine(["bad": Double.nan]) == nil)
    }

    @Test func gemmParsesShapesAndReportsEachProduct() throws {
        let shapes = try GemmBenchmark.shapes(parsing: "4x5x6,8x8x8")
        #expect(shapes == [GemmBenchmark.Shape(m: 4, n: 5, k: 6, kind: "custom"), GemmBenchmark.Shape(m: 8, n: 8, k: 8, kind: "custom")])
        for bad in ["4x5", "4x0x6", "axbxc", "4x5x6x7"] {
            #expect(throws: ValidationError.self) { try GemmBenchmark.shapes(parsing: bad) }
        }
        #expect(GemmBenchmark.defaultShapes.count == 16 && GemmBenchmark.defaultShapes.first?.kind == "square")
        let rows = try records(GemmBenchmark(shapes: shapes, timing: quick).run)
        #expect(rows.count == 2)
        expectWellFormed(rows[0], bench: "gemm")
        #expect(rows[0]["M"] as? Int == 4 && rows[0]["N"] as? Int == 5 && rows[0]["K"] as? Int == 6 && rows[0]["kind"] as? String == "custom")
        #expect((rows[0]["gflops_median"] as? Double ?? 0) > 0 && rows[0]["iters"] as? Int == 1)
    }

    @Test func convChoosesCasesAndSkipsWhatWinogradCannotRun() throws {
        #expect(ConvBenchmark.cases(batch: 24).count == 24)
        #expect(Set(ConvBenchmark.cases(batch: 24).map(\.name)).count == 24)
        #expect(throws: ValidationError.self) { try ConvBenchmark(only: ["d64_conv4", "nonsense"]) }
        #expect(throws: ValidationError.self) { try ConvBenchmark(batch: 0) }
        let rows = try records(ConvBenchmark(batch: 1, only: ["d64_conv4"], algorithm: .im2col, timing: quick).run)
        #expect(rows.map { $0["pass"] as? String } == ["forward", "backward_input", "backward_weight"])
        for row in rows {
            expectWellFormed(row, bench: "conv")
            #expect(row["case"] as? String == "d64_conv4" && row["algorithm"] as? String == "im2col" && row["kernel"] as? Int == 4)
            #expect((row["gflops_median"] as? Double ?? 0) > 0)
        }
        // Winograd applies to 3×3 stride-1 convolutions only: the 4×4 case is left out, the 3×3 one is run.
        let winograd = try records(ConvBenchmark(batch: 1, only: ["d64_conv4", "inception_7b"], algorithm: .winograd, timing: quick).run)
        #expect(winograd.count == 3 && winograd.allSatisfy { $0["case"] as? String == "inception_7b" && $0["algorithm"] as? String == "winograd" })
    }

    @Test func mlpReportsTheTapeAgainstTheDirectStep() throws {
        #expect(throws: ValidationError.self) { try MLPBenchmark(batch: 0) }
        let rows = try records(MLPBenchmark(batch: 2, timing: quick).run)
        #expect(rows.count == 1)
        expectWellFormed(rows[0], bench: "mlp")
        #expect(rows[0]["layers"] as? [Int] == [2048, 1024, 1024, 150] && rows[0]["batch"] as? Int == 2)
        #expect((rows[0]["direct_ms_median"] as? Double ?? 0) > 0 && rows[0]["tape_overhead_percent"] is Double)
    }

    @Test func convNetReportsItsPhases() throws {
        #expect(throws: ValidationError.self) { try ConvNetBenchmark(size: 48) }
        #expect(throws: ValidationError.self) { try ConvNetBenchmark(batch: -1) }
        let rows = try records(ConvNetBenchmark(batch: 1, size: 64, timing: quick).run)
        #expect(rows.count == 1)
        expectWellFormed(rows[0], bench: "convnet")
        let row = rows[0]
        for key in ["forward_ms_median", "backward_ms_median", "optimizer_ms_median"] {
            #expect((row[key] as? Double ?? 0) > 0, "\(key)")
        }
        // The phases are parts of one step, so their medians cannot add up to much more than the step's.
        let parts = ["forward_ms_median", "backward_ms_median", "optimizer_ms_median"].compactMap { row[$0] as? Double }.reduce(0, +)
        #expect(parts <= 3 * (row["ms_median"] as? Double ?? 0))
    }

    @Test func gruRefusesEmptyOrNonPositiveBatches() throws {
        #expect(throws: ValidationError.self) { try GRUBenchmark(batches: []) }
        #expect(throws: ValidationError.self) { try GRUBenchmark(batches: [4, 0]) }
        #expect(try GRUBenchmark(batches: [1, 2]).batches == [1, 2])
        #expect(GRUBenchmark.paddedSteps == 175)
    }

    @Test func melTimesAnUtteranceAndATree() throws {
        #expect(throws: ValidationError.self) { try MelBenchmark(files: -1) }
        let signal = MelBenchmark.signal(seconds: 0.5, rate: 16_000, seed: 3)
        #expect(signal.count == 8_000 && signal == MelBenchmark.signal(seconds: 0.5, rate: 16_000, seed: 3))
        #expect(signal.allSatisfy { abs($0) < 1 })
        let rows = try records(MelBenchmark(files: 3, timing: quick).run)
        #expect(rows.map { $0["case"] as? String } == ["utterance_5s", "tree"])
        rows.forEach { expectWellFormed($0, bench: "mel") }
        #expect(rows[1]["files"] as? Int == 3 && (rows[1]["files_per_second"] as? Double ?? 0) > 0)
        #expect((rows[0]["realtime_factor"] as? Double ?? 0) > 0)
    }

    @Test func inceptionRefusesBadBatchesAndRunsAtLeastThreeTimes() throws {
        #expect(throws: ValidationError.self) { try InceptionBenchmark(batch: 0) }
        #expect(throws: ValidationError.self) { try InceptionBenchmark(backwardBatch: -1) }
        #expect(try InceptionBenchmark(timing: quick).timing.minimumRuns == 3)
    }

    @Test func fidWritesSyntheticImagesIntoAnEmptyFolderAndReportsThem() throws {
        #expect(throws: ValidationError.self) { try FIDBenchmark(images: URL(fileURLWithPath: "/tmp"), batch: 0) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-fid-bench-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = try records(FIDBenchmark(images: folder, count: 2, batch: 2).run)
        #expect(rows.count == 1)
        expectWellFormed(rows[0], bench: "fid_end_to_end")
        #expect(rows[0]["images"] as? Int == 2 && rows[0]["runs"] as? Int == 1 && (rows[0]["img_per_s"] as? Double ?? 0) > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["img00000.png", "img00001.png"])
    }

    @Test func loaderReadsEveryFullBatchOfItsTree() throws {
        #expect(throws: ValidationError.self) { try LoaderBenchmark(images: 4, batch: 8) }
        #expect(throws: ValidationError.self) { try LoaderBenchmark(workers: 0) }
        let rows = try records(LoaderBenchmark(images: 10, batch: 4, workers: 1, timing: quick).run)
        #expect(rows.count == 1)
        expectWellFormed(rows[0], bench: "loader")
        #expect(rows[0]["images"] as? Int == 10 && rows[0]["batch"] as? Int == 4 && (rows[0]["items_per_s"] as? Double ?? 0) > 0)
    }

    @Test func ganStepRefusesBadSettings() throws {
        #expect(throws: ValidationError.self) { try GANStepBenchmark(stages: 4) }
        #expect(throws: ValidationError.self) { try GANStepBenchmark(stages: 0) }
        #expect(throws: ValidationError.self) { try GANStepBenchmark(batch: 0) }
        #expect(try GANStepBenchmark(iterations: 0).iterations == 1)
    }

    @Test func ganStepReportsTheIterationAndItsPhases() throws {
        let rows = try records(GANStepBenchmark(stages: 1, batch: 2, relation: false, iterations: 1).run)
        #expect(rows.count == 1)
        expectWellFormed(rows[0], bench: "rdg_gan_step")
        #expect(rows[0]["branches"] as? Int == 1 && rows[0]["rs"] as? Bool == false && rows[0]["iters"] as? Int == 1)
        #expect((rows[0]["peak_rss_gib"] as? Double ?? 0) > 0 && !(rows[0]["phases_ms"] as? [String: Double] ?? [:]).isEmpty)
    }

    @Test func senStepRefusesBatchesOfOne() throws {
        #expect(throws: ValidationError.self) { try SENStepBenchmark(batches: [1]) }
        #expect(throws: ValidationError.self) { try SENStepBenchmark(batches: []) }
        #expect(throws: ValidationError.self) { try SENStepBenchmark(frames: 8) }
        #expect(throws: ValidationError.self) { try SENStepBenchmark(iterations: 0) }
    }

    /// Short padded captions: 40 % of 32 frames is below the encoder's shortest utterance, and 15 draws from
    /// 12–32 frames fell below it almost surely before the draw was floored there.
    @Test func senStepDrawsNoCaptionShorterThanTheEncoderTakes() throws {
        let rows = try records(SENStepBenchmark(batches: [16], frames: 32, iterations: 1).run)
        #expect(rows.count == 1)
        expectWellFormed(rows[0], bench: "sen_step")
        #expect((rows[0]["mean_length"] as? Double ?? 0) >= 16)
    }
}
