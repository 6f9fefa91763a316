import Foundation
import S2IGANFormats
import Testing

/// `s2igan eval fid A B`, pytorch-fid's command-line form: two statistics files need no network.
@Suite struct EvalFIDTests {
    /// The FID fixtures of the Metrics tests (pytorch-fid's `calculate_frechet_distance`, Tools/fixtures/metrics.py).
    static func fixture() throws -> SafeTensorsFile {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return try SafeTensorsFile.read(here.appendingPathComponent("MetricsTests/Fixtures/metrics.safetensors"))
    }

    static func writeStatistics(mu: TypedArray, sigma: TypedArray, to url: URL) throws {
        try NPZ.write(["mu": mu, "sigma": sigma], to: url)
    }

    @Test func twoStatisticsFilesGivePytorchFIDsValueWithoutWeights() throws {
        let root = try scratchFolder("fid-two")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = try Self.fixture()
        let x = root.appendingPathComponent("x.npz"), y = root.appendingPathComponent("y.npz")
        try Self.writeStatistics(mu: try #require(file.arrays["fid.a.mu_x"]), sigma: try #require(file.arrays["fid.a.sigma_x"]), to: x)
        try Self.writeStatistics(mu: try #require(file.arrays["fid.a.mu_y"]), sigma: try #require(file.arrays["fid.a.sigma_y"]), to: y)
        let expected = try #require(file.arrays["fid.a.value"]).doubleValues()[0]
        let json = root.appendingPathComponent("fid.json")
        for (a, b) in [(x, y), (y, x)] {
            let result = try runCLI(["eval", "fid", a.path, b.path, "--json", json.path])
            #expect(result.status == 0, "\(result.stderr)")
            let printed = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(printed.hasPrefix("FID: "), "\(printed)")
            let value = try #require(Double(printed.dropFirst(5)))
            #expect(abs(value - expected) <= 1e-6 + 1e-9 * abs(expected), "\(value) vs \(expected)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]])
            #expect(abs((rows.first?["fid"] as? Double ?? .nan) - expected) <= 1e-9 * Swift.max(1, abs(expected)))
        }
        // The variant is recorded; an unknown one is a usage error.
        let named = try runCLI(["eval", "fid", x.path, y.path, "--variant", "clean-fid", "--json", json.path])
        #expect(named.status == 0, "\(named.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [[String: Any]])
        #expect(rows.first?["variant"] as? String == "clean-fid")
        let unknown = try runCLI(["eval", "fid", x.path, y.path, "--variant", "tensorflow"])
        #expect(unknown.status == 64 && unknown.stderr.contains("pytorch-fid"), "\(unknown.stderr)")
        // The same statistics on both sides: 0.
        let same = try runCLI(["eval", "fid", x.path, x.path])
        #expect(same.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "FID: 0.000000" || same.stdout.contains("FID: -0.000000"), "\(same.stdout)")
    }

    @Test func statisticsThatCannotBeACovarianceAreRefusedByName() throws {
        let root = try scratchFolder("fid-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let good = root.appendingPathComponent("good.npz"), skew = root.appendingPathComponent("skew.npz")
        try Self.writeStatistics(mu: try TypedArray(float64: [0, 0], shape: [2]), sigma: try TypedArray(float64: [2, 1, 1, 2], shape: [2, 2]), to: good)
        try Self.writeStatistics(mu: try TypedArray(float64: [0, 0], shape: [2]), sigma: try TypedArray(float64: [2, 1, -1, 2], shape: [2, 2]), to: skew)
        expectOneLineFailure(try runCLI(["eval", "fid", good.path, skew.path]), naming: skew.path)
        let wide = root.appendingPathComponent("wide.npz")
        try Self.writeStatistics(mu: try TypedArray(float64: [0, 0, 0], shape: [3]), sigma: try TypedArray(float64: [1, 0, 0, 0, 1, 0, 0, 0, 1], shape: [3, 3]), to: wide)
        let mismatch = try runCLI(["eval", "fid", good.path, wide.path])
        #expect(mismatch.status == 1 && mismatch.errorLines.count == 1, "\(mismatch.stderr)")
    }

    @Test func usageErrorsShowFIDsUsage() throws {
        for (arguments, words) in [(["eval", "fid", "a.npz"], "give two paths"),
                                   (["eval", "fid", "a.npz", "b.npz", "--images", "generated"], "not both"),
                                   (["eval", "fid"], "--images is needed"),
                                   (["eval", "fid", "--images", "generated"], "--real is needed")] {
            let result = try runCLI(arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("Usage: s2igan eval fid"), "\(result.stderr)")
            #expect(result.stderr.contains(words), "\(arguments) must say '\(words)': \(result.stderr)")
        }
        let missing = try runCLI(["eval", "is"])
        #expect(missing.status == 64 && missing.stderr.contains("--images is needed"), "\(missing.stderr)")
    }
}
