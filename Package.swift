// swift-tools-version: 6.0
import PackageDescription

/// A system library found through pkg-config, with the Debian package that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "S2IGAN",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Audio", targets: ["Audio"]),
        .library(name: "Vision", targets: ["Vision"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Metrics", targets: ["Metrics"]),
        .library(name: "SEN", targets: ["SEN"]),
        .library(name: "GAN", targets: ["GAN"]),
        .library(name: "Demo", targets: ["Demo"]),
        .executable(name: "s2igan", targets: ["s2igan-cli"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries (system-library targets; see scripts/setup.sh for the Debian packages).
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CLAPACKE", pkgConfig: "lapacke", apt: "liblapacke-dev"),
        systemLibrary("CSndfile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        systemLibrary("CFFTW", pkgConfig: "fftw3f", apt: "libfftw3-dev"),
        systemLibrary("CJPEG", pkgConfig: "libjpeg", apt: "libjpeg-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        .target(name: "CTensorSupport", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),

        // Layers.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "CLAPACKE", "CTensorSupport", "CZlib"]),
        .target(name: "Autograd", dependencies: ["Tensor"]),
        .target(name: "NN", dependencies: ["Autograd", "Tensor"]),
        .target(name: "Audio", dependencies: ["Tensor", "CSndfile", "CFFTW", "CTensorSupport"]),
        .target(name: "Vision", dependencies: ["NN", "Autograd", "Tensor", "CImageCodecs"]),
        .target(name: "Datasets", dependencies: ["Audio", "Vision", "Tensor"]),
        .target(name: "Metrics", dependencies: ["Vision", "NN", "Autograd", "Tensor"]),
        .target(name: "SEN", dependencies: ["Metrics", "Datasets", "Vision", "Audio", "NN", "Autograd", "Tensor", .product(name: "Yams", package: "Yams")]),
        .target(name: "GAN", dependencies: ["SEN", "Metrics", "Datasets", "Vision", "NN", "Autograd", "Tensor", .product(name: "Yams", package: "Yams")]),
        .target(name: "Demo", dependencies: ["GAN", "SEN", "Metrics", "Datasets", "Audio", "Vision", "NN", "Autograd", "Tensor"]),
        .executableTarget(
            name: "s2igan-cli",
            dependencies: ["CTensorSupport", "Tensor", "Autograd", "NN", "Audio", "Vision", "Datasets", "Metrics", "SEN", "GAN", "Demo", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Fuzzing (Docs/reliability.md): one function per decoder, and the libFuzzer binary / replay driver.
        .target(name: "FuzzTargets", dependencies: ["Tensor", "Audio", "Vision", "Datasets", "SEN", "GAN"]),
        .executableTarget(name: "s2igan-fuzz", dependencies: ["FuzzTargets"]),

        // Tests: one target per library target, plus the link checks of the C libraries, and the
        // helpers they share (golden-file folders, tolerant comparisons).
        .target(name: "TestSupport", dependencies: ["Tensor"], path: "Tests/TestSupport"),
        .testTarget(name: "CShimsTests", dependencies: ["COpenBLAS", "CLAPACKE", "CSndfile", "CFFTW", "CJPEG", "CPNG", "CTensorSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AudioTests", dependencies: ["Audio", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "NN", "Autograd", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Vision", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Vision", "NN", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SENTests", dependencies: ["SEN", "Metrics", "Datasets", "Vision", "NN", "Autograd", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GANTests", dependencies: ["GAN", "SEN", "Datasets", "Vision", "NN", "Autograd", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DemoTests", dependencies: ["Demo", "GAN", "SEN", "Metrics", "Datasets", "Vision", "Tensor", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autograd", "Tensor", "TestSupport"], exclude: ["Fixtures"]),
        // Runs the built `s2igan` executable as a child process (built by `swift build --build-tests`).
        .testTarget(name: "CLITests", dependencies: ["Tensor"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"], path: "Tests/FuzzTests"),
    ]
)
