import Foundation
import S2IGANEvaluation
import S2IGANMetrics
import S2IGANNN
import S2IGANTensor
import TestSupport
import Testing
import S2IGANVision
import S2IGANFormats

/// Image files to metrics, end to end, against pytorch-fid's own file pipeline and torchvision's network with
/// the same closed-form weights (`Tools/fixtures/make_metrics_pipeline_fixtures.py`, `Fixtures/pipeline/`).
@Suite struct ImageSetMetricsTests {
    static let files = (0..<5).map { fixtures.url("pipeline/img\($0).png") }

    static func network(_ variant: InceptionV3.Variant) throws -> InceptionV3 {
        let model = try InceptionV3(variant: variant)
        try model.load(stateDict: HashedValues.stateDict(like: model.stateDict()))
        return model
    }

    static func expected() throws -> SafeTensorsFile { try SafeTensorsFile.read(fixtures.url("pipeline/expected.safetensors")) }

    @Test func fidStatisticsOfFilesMatchPytorchFID() throws {
        let expected = try Self.expected()
        let metrics = ImageSetMetrics(network: try Self.network(.fid), batchSize: 2)
        let features = try metrics.features(of: Self.files, range: .unit)
        expectClose(features, try expected.tensor("fid_features"), rtol: 1e-3, atol: 1e-4, "pool3 features")
        let statistics = try metrics.statistics(of: Self.files)
        let mu = try expected.tensor("fid_mu").scalars
        #expect(zip(statistics.mean, mu).allSatisfy { abs($0 - Double($1)) <= 1e-4 + 1e-3 * abs(Double($1)) })
        let trace = (0..<2048).reduce(0.0) { $0 + statistics.covariance[$1, $1] }
        let expectedTrace = Double(try expected.tensor("fid_sigma_trace").item())
        #expect(abs(trace - expectedTrace) <= 1e-3 * expectedTrace, "trace \(trace) vs \(expectedTrace)")
        let diagonal = try expected.tensor("fid_sigma_diag16").scalars, row = try expected.tensor("fid_sigma_row0_16").scalars
        for j in 0..<16 {
            #expect(abs(statistics.covariance[j, j] - Double(diagonal[j])) <= 1e-5 + 2e-3 * abs(Double(diagonal[j])), "sigma[\(j), \(j)]")
            #expect(abs(statistics.covariance[0, j] - Double(row[j])) <= 1e-5 + 2e-3 * abs(Double(row[j])), "sigma[0, \(j)]")
        }
        // The distance between two three-image halves (singular covariances; pytorch-fid's sqrtm value).
        let a = try GaussianStatistics(features: features.slice(axis: 0, start: 0, end: 3))
        let b = try GaussianStatistics(features: features.slice(axis: 0, start: 2, end: 5))
        let fid = try FeatureDistance.frechet(a, b)
        let expectedFID = Double(try expected.tensor("fid_self_vs_half").item())
        #expect(abs(fid - expectedFID) <= 1e-3 * expectedFID, "FID \(fid) vs \(expectedFID)")
    }

    @Test func inceptionScoreOfFilesMatchesTorchvision() throws {
        let expected = try Self.expected()
        let network = try Self.network(.torchvision)
        let metrics = ImageSetMetrics(network: network, batchSize: 3)
        let pooled = try metrics.features(of: Self.files, range: .signed)
        expectClose(pooled, try expected.tensor("is_pooled"), rtol: 1e-3, atol: 1e-4, "pooled features")
        let score = try metrics.inceptionScore(of: Self.files, splits: 1)
        let reference = try expected.tensor("is_score_splits1").scalars
        #expect(abs(score.mean - Double(reference[0])) < 1e-5, "IS \(score.mean) vs \(reference[0])")
        #expect(score.standardDeviation == 0 && score.images == 5)
    }
}

/// `ImageSetMetrics.frechetDistance(_:_:metrics:)`, pytorch-fid's two-path form.
@Suite struct TwoSidedFIDTests {
    struct NetworkRequested: Error {}

    @Test func twoStatisticsFilesNeedNoNetworkAndEmptyFoldersAreNamedFirst() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fid-sides-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var rng = RandomGenerator(seed: 7)
        let a = try GaussianStatistics(features: Tensor.normal([40, 6], using: &rng))
        let b = try GaussianStatistics(features: Tensor.normal([30, 6], mean: 0.5, using: &rng))
        let first = root.appendingPathComponent("a.npz"), second = root.appendingPathComponent("b.NPZ")
        try a.write(to: first)
        try b.write(to: second)
        let fid = try ImageSetMetrics.frechetDistance(first, second) { throw NetworkRequested() }
        #expect(abs(fid - (try FeatureDistance.frechet(a, b))) <= 1e-12 * Swift.max(1, abs(fid)), "\(fid)")
        #expect(fid > 0.1)
        // A folder side asks for the network, but only after its images are found: an empty folder is named first.
        let empty = root.appendingPathComponent("generated")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let error = try #require(throws: EvaluationError.self) { try ImageSetMetrics.frechetDistance(first, empty) { throw NetworkRequested() } }
        #expect(error.filePath == empty.path, "\(String(describing: error))")
        try Data([0x89]).write(to: empty.appendingPathComponent("x.png"))
        #expect(throws: NetworkRequested.self) { try ImageSetMetrics.frechetDistance(first, empty) { throw NetworkRequested() } }
    }
}
