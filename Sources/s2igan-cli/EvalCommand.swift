import ArgumentParser
import S2IGANDistributed
import Foundation
import S2IGANMetrics
import S2IGANTensor
import S2IGANDatasets
import S2IGANEvaluation
import S2IGANVision
import S2IGANFormats

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate generated images: Inception Score, FID, KID, mAP (CUB/Oxford) and R@k (Flickr8k/Places).",
        discussion: """
        --images is one folder of generated images, or a generation output whose epoch<N> sub-folders are each
        evaluated in turn. Each result is printed, appended as a line to --log (the reference's text format) and
        collected in --json. The networks need published weights (no download is attempted):
          torchvision Inception-v3 (is, map, recall): \(EvalOptions.torchvisionWeights)
          pytorch-fid Inception (fid, kid, is --variant fidelity): \(EvalOptions.fidWeights)
        """,
        subcommands: [EvalIS.self, EvalFID.self, EvalKID.self, EvalMAP.self, EvalRecall.self, EvalFlowers.self]
    )
}

struct EvalOptions: ParsableArguments {
    static let torchvisionWeights = "inception_v3_google-0cc3c7bd.pth from https://download.pytorch.org/models/"
    static let fidWeights = "pt_inception-2015-12-05-6726825d.pth from https://github.com/mseitzer/pytorch-fid/releases (fid_weights)"

    @Option(help: "Folder of generated images, or of epoch<N> folders (every command needs it but `fid` given two paths).")
    var images: String?
    @Option(help: "Inception weights (.pth as published, or .safetensors).") var weights: String?
    @Option(help: "Append one line per evaluated folder to this text file.") var log: String?
    @Option(help: "Write all results to this JSON file.") var json: String?
    @Option(help: "Images per batch.") var batchSize = 50
    @Flag(help: "Split the feature extraction over the ranks of an MPI job (mpirun -np N s2igan eval … --distributed); rank 0 reports.")
    var distributed = false

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    }

    /// The job's ranks with --distributed.
    var group: ProcessGroup? { get throws { distributed ? try ProcessGroup.world() : nil } }

    /// Whether this process reports (rank 0, or the only process).
    var reports: Bool { (try? group)??.isRoot ?? true }

    /// The metrics on `network`, split over the ranks with --distributed.
    func metrics(_ network: InceptionV3, fidVariant: FIDVariant = .pytorchFID) throws -> ImageSetMetrics {
        var metrics = ImageSetMetrics(network: network, batchSize: batchSize, fidVariant: fidVariant, progress: reports ? progress("images") : nil)
        metrics.group = try group
        return metrics
    }

    /// --images, which every command but `fid` with two paths needs (checked in each command's `validate()`).
    func imagesFolder() throws -> URL {
        guard let images else { throw ValidationError("--images is needed: a folder of generated images, or of epoch<N> folders") }
        return URL(fileURLWithPath: images)
    }

    func network(_ variant: InceptionV3.Variant) throws -> InceptionV3 {
        let expected = variant == .fid ? Self.fidWeights : Self.torchvisionWeights
        guard let weights else { throw ValidationError("--weights is needed: \(expected)") }
        let url = URL(fileURLWithPath: weights)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CommandError.file(path: url.path, reason: "no such weights file; expected \(expected)")
        }
        let model = try InceptionV3(variant: variant)
        try model.load(weights: url)
        return model
    }

    /// Every folder to evaluate (--images, or its epoch<N> folders) with its images; checked before any network
    /// is loaded, so an empty folder is named at once.
    func imageSets() throws -> [(epoch: Int?, folder: URL, files: [URL])] {
        try EvaluationLists.epochFolders(in: imagesFolder()).map { ($0.epoch, $0.folder, try ImageSetMetrics.imageFiles(in: $0.folder)) }
    }

    /// Runs `evaluate` on every epoch folder, printing, logging and collecting its results.
    func run(_ evaluate: (URL) throws -> (line: String, values: [String: Any])) throws {
        try run(EvaluationLists.epochFolders(in: imagesFolder()).map { ($0.epoch, $0.folder, []) }) { folder, _ in try evaluate(folder) }
    }

    /// Runs `evaluate` on every folder of `sets` with its images, printing, logging and collecting its results.
    func run(_ sets: [(epoch: Int?, folder: URL, files: [URL])], _ evaluate: (URL, [URL]) throws -> (line: String, values: [String: Any])) throws {
        var results: [[String: Any]] = []
        for (epoch, folder, files) in sets {
            let (line, values) = try evaluate(folder, files)
            guard reports else { continue }
            let text = "Epoch: [\(epoch.map(String.init) ?? "-")]  " + line
            print(text)
            if let log {
                try appendLine(text, to: URL(fileURLWithPath: log))
            }
            var row = values
            row["folder"] = folder.path
            if let epoch { row["epoch"] = epoch }
            results.append(row)
        }
        if let json, reports {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            try writeFileAtomically(data, to: URL(fileURLWithPath: json))
        }
    }

    func progress(_ label: String) -> (Int, Int) -> Void { ProgressReporter.standardError().callback(label) }
}

func format(_ value: Double) -> String { String(format: "%.6f", value) }

struct EvalIS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "is", abstract: "Inception Score of every image under the folder (recursively, sorted).")
    @OptionGroup var options: EvalOptions
    @Option(help: "reference (torchvision, 1000 classes, splits of ⌊N/10⌋) or fidelity (pytorch-fid network, 1008 classes, no bias).") var variant = ISVariant.reference
    @Option(help: "Splits.") var splits = 10

    func validate() throws { _ = try options.imagesFolder() }

    func run() throws { try onEveryRank(options.group) { try evaluate() } }

    func evaluate() throws {
        let sets = try options.imageSets()
        let metrics = try options.metrics(options.network(variant == .fidelity ? .fid : .torchvision))
        try options.run(sets) { _, files in
            let score = try metrics.inceptionScore(of: files, splits: splits)
            return ("IS_mean: \(format(score.mean)) IS_std: \(format(score.standardDeviation))",
                    ["is_mean": score.mean, "is_std": score.standardDeviation, "images": score.images, "variant": variant.rawValue])
        }
    }
}

/// The real side of FID / KID: a folder of images or, for FID, an `.npz` of statistics.
struct RealImages: ParsableArguments {
    @Option(help: "Real images: a folder, or (fid) an .npz with mu and sigma.") var real: String?
    @Option(help: "Only the images of --real this list names (.pickle list or text, one key or relative path per line; extension optional).")
    var realList: String?

    /// --real (required unless `fid` is given two paths).
    func folder() throws -> URL {
        guard let real else { throw ValidationError("--real is needed: a folder of real images, or (fid) an .npz of their statistics") }
        return URL(fileURLWithPath: real)
    }

    /// The real image files: every image under --real, or those --real-list names.
    func files() throws -> [URL] {
        let folder = try self.folder()
        guard let realList else { return try ImageSetMetrics.imageFiles(in: folder) }
        return try ImageFeatureExtractor.imageFiles(in: folder, names: NameList.read(URL(fileURLWithPath: realList), what: "real-image list"))
    }
}

struct EvalFID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid", abstract: "FID against real images (pytorch-fid semantics by default).",
        discussion: """
        Either --images (and its epoch<N> folders) against --real, or two paths as pytorch-fid takes them: each a \
        folder of images or an .npz of statistics (mu, sigma). Two .npz files need no network and no --weights. \
        --variant: pytorch-fid (the FID Inception weights, bilinear resize; what S2IGAN's README points to, the default), \
        torchvision (the ImageNet Inception weights) or clean-fid (the FID Inception weights, Pillow bicubic resize). \
        Values of different variants are not comparable, nor are statistics files made by them.
        """)
    @OptionGroup var options: EvalOptions
    @OptionGroup var realImages: RealImages
    @Option(help: "Save the real images' statistics to this .npz (pytorch-fid's --save-stats format).") var saveStats: String?
    @Argument(help: "Two folders of images or .npz statistics files, instead of --images and --real.") var paths: [String] = []
    @Option(help: "pytorch-fid, torchvision or clean-fid.") var variant = FIDVariant.pytorchFID

    func validate() throws {
        if paths.isEmpty {
            _ = try options.imagesFolder()
            _ = try realImages.folder()
            return
        }
        guard paths.count == 2 else { throw ValidationError("give two paths (folders of images or .npz statistics), got \(paths.count)") }
        guard options.images == nil, realImages.real == nil, realImages.realList == nil, saveStats == nil else {
            throw ValidationError("give either two paths or --images and --real (with --real-list, --save-stats), not both")
        }
    }

    func run() throws { try onEveryRank(options.group) { try evaluate() } }

    func evaluate() throws {
        if !paths.isEmpty { return try runOnTwoPaths() }
        let realURL = try realImages.folder()
        let realIsStatistics = ImageSetMetrics.isStatisticsFile(realURL)
        let realFiles = realIsStatistics ? [] : try realImages.files()
        let sets = try options.imageSets()
        let metrics = try options.metrics(options.network(variant.network), fidVariant: variant)
        let real = realIsStatistics ? try GaussianStatistics.read(realURL) : try metrics.statistics(of: realFiles)
        if let saveStats, options.reports { try real.write(to: URL(fileURLWithPath: saveStats)) }
        try options.run(sets) { _, files in
            let fid = try FeatureDistance.frechet(metrics.statistics(of: files), real)
            return ("FID: \(format(fid))", ["fid": fid, "variant": variant.rawValue])
        }
    }

    /// `fid A B` (ImageSetMetrics.frechetDistance): printed, logged and written as the --images form is.
    func runOnTwoPaths() throws {
        let fid = try ImageSetMetrics.frechetDistance(URL(fileURLWithPath: paths[0]), URL(fileURLWithPath: paths[1])) {
            try options.metrics(options.network(variant.network), fidVariant: variant)
        }
        guard options.reports else { return }
        print("FID: \(format(fid))")
        if let log = options.log { try appendLine("\(paths[0]) \(paths[1]) FID: \(format(fid))", to: URL(fileURLWithPath: log)) }
        if let json = options.json {
            let data = try JSONSerialization.data(withJSONObject: [["fid": fid, "paths": paths, "variant": variant.rawValue]], options: [.prettyPrinted, .sortedKeys])
            try writeFileAtomically(data, to: URL(fileURLWithPath: json))
        }
    }
}

struct EvalKID: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kid", abstract: "KID against real images (torch-fidelity's estimator).")
    @OptionGroup var options: EvalOptions
    @OptionGroup var realImages: RealImages
    @Option(help: "Random subsets.") var subsets = 100
    @Option(help: "Images per subset (at most the smaller set).") var subsetSize = 1000
    @Option(help: "Seed of the subset draws.") var seed: UInt64 = 0

    func validate() throws {
        _ = try options.imagesFolder()
        _ = try realImages.folder()
    }

    func run() throws { try onEveryRank(options.group) { try evaluate() } }

    func evaluate() throws {
        let realFiles = try realImages.files()
        let sets = try options.imageSets()
        let metrics = try options.metrics(options.network(.fid))
        let real = try metrics.features(of: realFiles, range: .unit)
        try options.run(sets) { _, files in
            let generated = try metrics.features(of: files, range: .unit)
            let kid = try FeatureDistance.kernel(generated, real, subsets: subsets, subsetSize: subsetSize, seed: seed)
            return ("KID_mean: \(format(kid.mean)) KID_std: \(format(kid.standardDeviation))",
                    ["kid_mean": kid.mean, "kid_std": kid.standardDeviation, "subset_size": kid.subsetSize, "subsets": kid.subsets])
        }
    }
}

struct EvalMAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Class-retrieval mAP of generated images (CUB/Oxford, spec 4.2); precision@k is reported under its own name.",
        discussion: """
        Queries are real images named by --ground-truth (the reference's filenames_ground_truth_image_*.pickle, or a
        text file); their features come from --query-features (the reference's images_npy folder: <name>.npy, (1, 2048))
        or are computed from --real-images/<name> (RGB → [0, 1] → bilinear 299 → trunk → mean) and cached in
        --query-cache. The gallery is --generated (filenames_Gen_image_*.pickle) under each evaluated folder, with
        _128_ → _256_ and .png as the reference rewrites them; generated images go in as [0, 1].
        """
    )
    @OptionGroup var options: EvalOptions
    @Option(help: "List of the real query images.") var groundTruth: String
    @Option(help: "List of the generated images.") var generated: String
    @Option(help: "Folder of precomputed query features (<name without extension>.npy).") var queryFeatures: String?
    @Option(help: "Folder of the real images the ground-truth list names.") var realImages: String?
    @Option(help: "Cache file (.npy) for computed query features.") var queryCache: String?

    func validate() throws { _ = try options.imagesFolder() }

    func run() throws { try onEveryRank(options.group) { try evaluate() } }

    func evaluate() throws {
        let truth = try EvaluationLists.read(URL(fileURLWithPath: groundTruth))
        let gallery = try EvaluationLists.read(URL(fileURLWithPath: generated))
        let metrics = try options.metrics(options.network(.torchvision))
        let queries = try queryFeatureMatrix(truth, metrics: metrics)
        let queryClasses = try truth.map(EvaluationLists.classID), galleryClasses = try gallery.map(EvaluationLists.classID)
        try options.run { folder in
            let files = gallery.map { folder.appendingPathComponent(EvaluationLists.generatedFileName($0)) }
            let r = try Retrieval.classRetrieval(queries: queries, queryClasses: queryClasses, gallery: metrics.features(of: files, range: .unit),
                                                 galleryClasses: galleryClasses)
            let precision = zip(r.ks, r.precisionAt).map { "P@\($0): \(format($1))" }.joined(separator: " ")
            return ("mAP: \(format(r.meanAveragePrecision)) \(precision)",
                    ["map": r.meanAveragePrecision, "precision_at": Dictionary(uniqueKeysWithValues: zip(r.ks.map(String.init), r.precisionAt))])
        }
    }

    func queryFeatureMatrix(_ truth: [String], metrics: ImageSetMetrics) throws -> Tensor {
        if let queryFeatures { return try ImageSetMetrics.precomputedFeatures(of: truth, in: URL(fileURLWithPath: queryFeatures)) }
        guard let realImages else { throw ValidationError("give --query-features or --real-images") }
        return try metrics.features(of: truth.map { URL(fileURLWithPath: realImages).appendingPathComponent($0) }, range: .unit,
                                    cache: queryCache.map { URL(fileURLWithPath: $0) })
    }
}

struct EvalRecall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recall",
        abstract: "R@1/5/10/50 of real test images against their generated images (Flickr8k/Places, spec 4.3).",
        discussion: """
        --list names the keys (the reference's filenames_Gen_image_*.pickle or a text file); queries are
        --real-images/<key>.jpg (shorter side to 299, centre crop, [0, 1]); the gallery is
        <folder>/<key>_256_sentence<i>.png for i < --captions (5 for Flickr8k, 1 for Places), in [0, 1].
        """
    )
    @OptionGroup var options: EvalOptions
    @Option(help: "List of the image keys.") var list: String
    @Option(help: "Folder of the real images (<key>.jpg).") var realImages: String
    @Option(help: "Generated images per key.") var captions = 5

    func validate() throws { _ = try options.imagesFolder() }

    func run() throws { try onEveryRank(options.group) { try evaluate() } }

    func evaluate() throws {
        let keys = try EvaluationLists.read(URL(fileURLWithPath: list))
        let metrics = try options.metrics(options.network(.torchvision))
        let queries = try metrics.realImageFeatures(of: keys.map { URL(fileURLWithPath: realImages).appendingPathComponent($0 + ".jpg") })
        try options.run { folder in
            let gallery = ImageSetMetrics.recallGallery(keys: keys, captions: captions, in: folder)
            let r = try Retrieval.recallAtK(queries: queries, gallery: metrics.features(of: gallery.files, range: .unit), owners: gallery.owners)
            let ks = [1, 5, 10, 50]
            return (zip(ks, r).map { "R@\($0): \(format($1))" }.joined(separator: " "),
                    ["recall_at": Dictionary(uniqueKeysWithValues: zip(ks.map(String.init), r))])
        }
    }
}
