// swift-tools-version: 6.0
import PackageDescription

// The layers, bottom up (Docs/architecture.md; the allowed imports are written once, in scripts/allowed-imports.txt,
// and `scripts/check-imports.swift` holds this file and every `import` to them). Each target lists only the modules
// it imports itself. Module names carry the `S2IGAN` prefix (so `Metrics` and `Vision` clash neither with
// apple/swift-metrics nor with Apple's framework); the products keep the short names, and the folders keep the
// design card's names.

/// A system library found through pkg-config, with the Debian package that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// A layer of the framework: module `S2IGAN<folder>`, sources in `Sources/<folder>`.
func layer(_ folder: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: "S2IGAN" + folder, dependencies: dependencies, path: "Sources/" + folder)
}

/// The tests of a layer: `Tests/<folder>Tests`, with its golden files in `Fixtures/` when it has them.
func layerTests(_ folder: String, _ dependencies: [Target.Dependency], fixtures: Bool = true) -> Target {
    .testTarget(name: folder + "Tests", dependencies: dependencies, exclude: fixtures ? ["Fixtures"] : [])
}

let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")

let package = Package(
    name: "S2IGAN",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tensor", targets: ["S2IGANTensor"]),
        .library(name: "Formats", targets: ["S2IGANFormats"]),
        .library(name: "Distributed", targets: ["S2IGANDistributed"]),
        .library(name: "Autograd", targets: ["S2IGANAutograd"]),
        .library(name: "NN", targets: ["S2IGANNN"]),
        .library(name: "Metrics", targets: ["S2IGANMetrics"]),
        .library(name: "Audio", targets: ["S2IGANAudio"]),
        .library(name: "Vision", targets: ["S2IGANVision"]),
        .library(name: "Datasets", targets: ["S2IGANDatasets"]),
        .library(name: "Training", targets: ["S2IGANTraining"]),
        .library(name: "SEN", targets: ["S2IGANSEN"]),
        .library(name: "GAN", targets: ["S2IGANGAN"]),
        .library(name: "Evaluation", targets: ["S2IGANEvaluation"]),
        .library(name: "Demo", targets: ["S2IGANDemo"]),
        .library(name: "Bench", targets: ["S2IGANBench"]),
        .library(name: "Serve", targets: ["S2IGANServe"]),
        .executable(name: "s2igan", targets: ["s2igan-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
    ],
    targets: [
        // C libraries (system-library targets; see scripts/setup.sh for the Debian packages).
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CLAPACKE", pkgConfig: "lapacke", apt: "liblapacke-dev"),
        systemLibrary("CSndfile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        systemLibrary("CFFTW", pkgConfig: "fftw3f", apt: "libfftw3-dev"),
        systemLibrary("CJPEG", pkgConfig: "libjpeg", apt: "libjpeg-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CSystemZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CMPI", pkgConfig: "ompi-c", apt: "libopenmpi-dev"),
        .target(name: "CTensorSupport", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "CMPIShim", dependencies: ["CMPI"]),

        // Layers, bottom up.
        layer("Tensor", ["COpenBLAS", "CLAPACKE", "CTensorSupport"]),
        layer("Formats", ["S2IGANTensor", "CSystemZlib"]),
        layer("Distributed", ["S2IGANTensor", "CMPIShim"]),
        layer("Autograd", ["S2IGANTensor"]),
        layer("NN", ["S2IGANAutograd", "S2IGANFormats", "S2IGANTensor"]),
        layer("Metrics", ["S2IGANFormats", "S2IGANTensor"]),
        layer("Audio", ["S2IGANFormats", "S2IGANTensor", "S2IGANDistributed", "CSndfile", "CFFTW", "CTensorSupport"]),
        layer("Vision", ["S2IGANNN", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", "S2IGANDistributed", "CImageCodecs"]),
        layer("Datasets", ["S2IGANAudio", "S2IGANVision", "S2IGANFormats", "S2IGANTensor"]),
        layer("Training", ["S2IGANNN", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", yams]),
        layer("SEN", ["S2IGANTraining", "S2IGANDistributed", "S2IGANDatasets", "S2IGANMetrics", "S2IGANVision", "S2IGANAudio", "S2IGANNN",
                      "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", yams]),
        layer("GAN", ["S2IGANTraining", "S2IGANDistributed", "S2IGANSEN", "S2IGANDatasets", "S2IGANVision", "S2IGANNN", "S2IGANAutograd",
                      "S2IGANFormats", "S2IGANTensor", yams]),
        layer("Evaluation", ["S2IGANDistributed", "S2IGANDatasets", "S2IGANMetrics", "S2IGANVision", "S2IGANAutograd", "S2IGANFormats",
                             "S2IGANTensor"]),
        layer("Demo", ["S2IGANGAN", "S2IGANSEN", "S2IGANMetrics", "S2IGANDatasets", "S2IGANAudio",
                       "S2IGANVision", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor"]),
        // `s2igan serve`: the web page and JSON API on Hummingbird.
        layer("Serve", ["S2IGANDemo", "S2IGANSEN", "S2IGANDatasets", "S2IGANAudio", "S2IGANVision", "S2IGANFormats", "S2IGANTensor", hummingbird]),
        // The benchmarks of `s2igan bench` (their settings are command-line options, hence ArgumentParser).
        layer("Bench", ["S2IGANDistributed", "S2IGANTraining", "S2IGANGAN", "S2IGANSEN", "S2IGANEvaluation", "S2IGANDatasets", "S2IGANAudio", "S2IGANVision", "S2IGANNN",
                        "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", argumentParser]),
        .executableTarget(
            name: "s2igan-cli",
            dependencies: ["CTensorSupport", "S2IGANTensor", "S2IGANFormats", "S2IGANAudio",
                           "S2IGANVision", "S2IGANDatasets", "S2IGANMetrics", "S2IGANSEN", "S2IGANGAN", "S2IGANEvaluation",
                           "S2IGANDemo", "S2IGANBench", "S2IGANServe", "S2IGANDistributed", "S2IGANTraining", argumentParser]
        ),

        // Fuzzing (Docs/reliability.md): one function per decoder, and the libFuzzer binary / replay driver.
        .target(name: "FuzzTargets", dependencies: ["S2IGANTensor", "S2IGANFormats", "S2IGANAudio", "S2IGANVision", "S2IGANDatasets",
                                                    "S2IGANSEN", "S2IGANGAN"]),
        .executableTarget(name: "s2igan-fuzz", dependencies: ["FuzzTargets"]),

        // Tests: one target per layer, plus the link checks of the C libraries, and the helpers they share
        // (golden-file folders, tolerant comparisons).
        .target(name: "TestSupport", dependencies: ["S2IGANFormats", "S2IGANTensor"], path: "Tests/TestSupport"),
        .testTarget(name: "CShimsTests", dependencies: ["COpenBLAS", "CLAPACKE", "CSndfile", "CFFTW", "CJPEG", "CPNG", "CTensorSupport"]),
        layerTests("Distributed", ["S2IGANDistributed"], fixtures: false),
        layerTests("Tensor", ["S2IGANTensor", "S2IGANFormats", "TestSupport"]),
        layerTests("Formats", ["S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Autograd", ["S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("NN", ["S2IGANNN", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Metrics", ["S2IGANMetrics", "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Audio", ["S2IGANAudio", "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Vision", ["S2IGANVision", "S2IGANNN", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Datasets", ["S2IGANDatasets", "S2IGANAudio", "S2IGANVision", "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Training", ["S2IGANTraining", "S2IGANNN", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", "TestSupport"],
                   fixtures: false),
        layerTests("SEN", ["S2IGANSEN", "S2IGANTraining", "S2IGANMetrics", "S2IGANDatasets", "S2IGANVision", "S2IGANNN", "S2IGANAutograd",
                           "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("GAN", ["S2IGANGAN", "S2IGANTraining", "S2IGANSEN", "S2IGANDatasets", "S2IGANVision", "S2IGANNN", "S2IGANAutograd",
                           "S2IGANFormats", "S2IGANTensor", "TestSupport"]),
        layerTests("Evaluation", ["S2IGANEvaluation", "S2IGANMetrics", "S2IGANVision", "S2IGANNN", "S2IGANFormats",
                                  "S2IGANTensor", "TestSupport"]),
        layerTests("Demo", ["S2IGANDemo", "S2IGANGAN", "S2IGANSEN", "S2IGANMetrics", "S2IGANDatasets", "S2IGANVision",
                            "S2IGANNN", "S2IGANAutograd", "S2IGANFormats", "S2IGANTensor", "TestSupport"], fixtures: false),
        layerTests("Bench", ["S2IGANBench", "S2IGANTensor", argumentParser], fixtures: false),
        // Runs the built `s2igan` executable as a child process (built by `swift build --build-tests`).
        .testTarget(name: "CLITests", dependencies: ["S2IGANFormats", "S2IGANTensor", "S2IGANGAN", "S2IGANSEN", "S2IGANDatasets", "S2IGANNN", "S2IGANVision", "S2IGANAudio", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"], path: "Tests/FuzzTests"),
    ]
)
