import ArgumentParser
import S2IGANDatasets
import Foundation
import S2IGANTensor
import S2IGANFormats

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Build the spoken-flowers dataset, speak text captions, inspect datasets and write missing split files.",
        subcommands: [DatasetSynth.self, DatasetSpeak.self, DatasetSplits.self, DatasetInfo.self]
    )
}

struct DatasetSplits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "splits",
        abstract: "Write train|test/filenames.pickle (and class_info.pickle for CUB/Oxford) where the authors' files are missing (existing ones only with --force).",
        discussion: """
        CUB and Oxford get the class-disjoint StackGAN splits (150/50 and 82/20 classes), Flickr8k the standard
        Flickr_8k.trainImages.txt / Flickr_8k.testImages.txt lists, Places a seeded random split of the images present.
        --test-keys FILE (a pickled list of keys such as the reference's evaluation/places/filenames_Gen_image_places.pickle,
        or a text file with one key per line) makes the listed images present the test split and every other image the train split.
        """
    )

    @Option(help: "cub, oxford, flickr8k or places.", transform: datasetKind) var dataset: DatasetKind
    @Option(help: "Dataset root (as the reference's data_dir).") var root: String
    @Option(help: "Places: fraction of the images in the test split.") var testFraction = 0.2
    @Option(help: "Places: seed of the split.") var seed: UInt64 = 0
    @Option(help: "A list of test keys (.pickle list of str, or text, one per line): the test split is those images.") var testKeys: String?
    @Flag(help: "Replace existing split files, keeping each old one as <name>.bak-<yyyyMMdd-HHmmss> beside it.") var force = false

    func run() throws {
        let summary = try SplitFiles.write(kind: dataset, root: URL(fileURLWithPath: root), testFraction: testFraction, seed: seed,
                                           testKeys: testKeys.map { URL(fileURLWithPath: $0) }, force: force)
        for backup in summary.backups { print("kept the old split file as \(backup.path)") }
        print("wrote \(summary.train) train and \(summary.test) test keys from \(summary.source)")
    }
}

struct DatasetInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Counts per split, captions, classes, feature frame statistics and every problem found (exit code 1 if any).")

    @Option(help: "cub, oxford, flickr8k, places or spoken-flowers.", transform: datasetKind) var dataset: DatasetKind
    @Option(help: "Dataset root.") var root: String
    @Flag(help: "Print JSON instead of text.") var json = false
    @Flag(help: "Skip decoding every image (faster on big datasets).") var noImageCheck = false

    func run() throws {
        let inspection = DatasetInspection(kind: dataset, root: URL(fileURLWithPath: root), checkImages: !noImageCheck)
        if json {
            var report = inspection.jsonObject
            report["root"] = root
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(dataset) dataset at \(root)")
            for split in DatasetSplit.allCases {
                guard let r = inspection.splits[split] else { continue }
                if let images = r.images {
                    print("  \(split): \(images) images, \(r.captions) captions (\(r.captionsPerImage) per image), \(r.classes) classes, "
                          + "frames \(r.frames.min)–\(r.frames.max) (mean \(String(format: "%.1f", r.frames.mean)))")
                }
                for p in r.problems { print("  \(split) problem: \(p)") }
            }
            for p in inspection.problems { print("  problem: \(p)") }
        }
        if inspection.problemCount > 0 { throw ExitCode(1) }
    }
}
