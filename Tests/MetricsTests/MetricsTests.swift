import Foundation
import S2IGANMetrics
import S2IGANTensor
import TestSupport
import Testing
import S2IGANFormats

/// Golden values from Tools/fixtures/make_metrics_fixtures.py: FID by pytorch-fid's own functions, KID and IS by
/// torch-fidelity's, the S2IGAN reference's IS written in PyTorch, and the reference's mAP / R@k in NumPy.
let fixtures = FixtureFolder(besides: #filePath)

@Suite struct MetricsTests {
    let file: SafeTensorsFile

    init() throws { file = try fixtures.load("metrics") }

    func t(_ name: String) throws -> Tensor { try file.tensor(name) }
    func doubles(_ name: String) throws -> [Double] {
        guard let array = file.arrays[name] else { throw TensorError.invalidArgument("fixture has no '\(name)'") }
        return array.doubleValues()
    }
    func scalar(_ name: String) throws -> Double { try doubles(name)[0] }

    func expectRelative(_ actual: Double, _ expected: Double, _ tolerance: Double, _ what: String) {
        #expect(abs(actual - expected) <= tolerance * max(abs(expected), 1e-12), "\(what): \(actual) vs \(expected)")
    }

    @Test func statisticsAndFrechetDistanceMatchPytorchFID() throws {
        let x = try GaussianStatistics(features: t("fid.a.x")), y = try GaussianStatistics(features: t("fid.a.y"))
        for (got, want) in zip(x.mean + y.mean, try doubles("fid.a.mu_x") + doubles("fid.a.mu_y")) { expectRelative(got, want, 1e-12, "mu") }
        for (got, want) in zip(x.covariance.values, try doubles("fid.a.sigma_x")) { #expect(abs(got - want) < 1e-12) }
        expectRelative(try FeatureDistance.frechet(x, y), try scalar("fid.a.value"), 1e-9, "FID")
        #expect(abs(try FeatureDistance.frechet(x, x)) < 1e-9)
        #expect(abs(try scalar("fid.same.value")) < 1e-6)
    }

    @Test func singularCovariancesGiveTheSameDistance() throws {
        // 20 samples in 32 dimensions: both covariances have rank 19.
        let x = try GaussianStatistics(features: t("fid.singular.x")), y = try GaussianStatistics(features: t("fid.singular.y"))
        expectRelative(try FeatureDistance.frechet(x, y), try scalar("fid.singular.value"), 1e-6, "singular FID")
    }

    @Test func kernelDistanceMatchesTorchFidelity() throws {
        // Subsets as large as the sets are permutations of all rows, so the value does not depend on the sampling.
        let kid = try FeatureDistance.kernel(t("kid.x"), t("kid.y"), subsets: 3, subsetSize: 50)
        expectRelative(kid.mean, try scalar("kid.mean"), 1e-9, "KID")
        expectRelative(kid.mean, try scalar("kid.mmd_numpy"), 1e-9, "KID vs numpy")
        #expect(kid.standardDeviation < 1e-12 && kid.subsetSize == 50)
        let smaller = try FeatureDistance.kernel(t("kid.x"), t("kid.y"), subsets: 10, subsetSize: 20, seed: 4)
        #expect(smaller.standardDeviation > 0 && smaller.subsets == 10)
    }

    @Test func inceptionScoreMatchesBothVariants() throws {
        let logits = try t("is.logits")
        let reference = try InceptionScore.score(logits: logits, splits: 10, splitting: .reference)
        expectRelative(reference.mean, try scalar("is.reference.mean"), 1e-9, "IS mean")
        expectRelative(reference.standardDeviation, try scalar("is.reference.std"), 1e-7, "IS std")
        let fidelity = try InceptionScore.score(logits: logits, splits: 10, splitting: .fidelity)
        expectRelative(fidelity.mean, try scalar("is.fidelity.mean"), 1e-9, "torch-fidelity IS mean")
        expectRelative(fidelity.standardDeviation, try scalar("is.fidelity.std"), 1e-7, "torch-fidelity IS std")
        #expect(throws: MetricsError.self) { try InceptionScore.score(logits: Tensor.zeros([5, 10]), splits: 10) }
    }

    @Test func generatedImageRetrievalMatchesTheReferenceDefinitions() throws {
        let classes = try doubles("map.query_classes").map { Int($0) }, gallery = try doubles("map.gallery_classes").map { Int($0) }
        let r = try Retrieval.classRetrieval(queries: t("map.queries"), queryClasses: classes, gallery: t("map.gallery"), galleryClasses: gallery)
        expectRelative(r.meanAveragePrecision, try scalar("map.value"), 1e-12, "mAP")
        for (got, want) in zip(r.precisionAt, try doubles("map.precision_at")) { expectRelative(got, want, 1e-12, "precision@k") }
        let owners = (0..<21).map { $0 / 3 }
        let recall = try Retrieval.recallAtK(queries: t("recall.queries"), gallery: t("recall.gallery"), owners: owners)
        #expect(recall == (try doubles("recall.values")))
    }

    @Test func statisticsFilesAreInterchangeableWithPytorchFID() throws {
        let expected = try GaussianStatistics(features: t("fid.a.x"))
        for name in ["stats_pytorch_fid.npz", "stats_plain.npz"] {
            let read = try GaussianStatistics.read(fixtures.url(name))
            for (got, want) in zip(read.mean, expected.mean) { #expect(abs(got - want) < 1e-12, "\(name) mu") }
            for (got, want) in zip(read.covariance.values, expected.covariance.values) { #expect(abs(got - want) < 1e-12, "\(name) sigma") }
        }
        let folder = temporaryRoot("metrics")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("stats.npz")
        try expected.write(to: url)
        #expect(try GaussianStatistics.read(url) == GaussianStatistics(mean: expected.mean, covariance: expected.covariance))
        let junk = folder.appendingPathComponent("junk.npz")
        try Data("PK not really".utf8).write(to: junk)
        #expect { _ = try GaussianStatistics.read(junk) } throws: { "\($0)".contains(junk.path) }
    }
}

@Suite struct InvalidStatisticsTests {
    @Test func nonSymmetricAndNegativeDefiniteCovariancesAreRefused() throws {
        let folder = temporaryRoot("bad-stats")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func write(_ sigma: [Double], _ name: String) throws -> URL {
            let url = folder.appendingPathComponent(name)
            try NPZ.write(["mu": TypedArray(float64: [0, 0], shape: [2]), "sigma": TypedArray(float64: sigma, shape: [2, 2])], to: url)
            return url
        }
        let good = try GaussianStatistics.read(try write([2, 1, 1, 2], "good.npz"))
        #expect(try FeatureDistance.frechet(good, good) >= -1e-12)
        for (sigma, name, expected) in [([2.0, 1, 0, 2], "asymmetric.npz", "not symmetric"),
                                        ([-2.0, 0, 0, -1], "negative.npz", "not positive semi-definite"),
                                        ([1.0, 2, 2, 1], "indefinite.npz", "not positive semi-definite")] {
            let error = try #require(throws: MetricsError.self) { try GaussianStatistics.read(try write(sigma, name)) }
            #expect("\(error)".contains(name) && "\(error)".contains(expected), "\(error)")
        }
    }
}
