import Foundation
import TestSupport
import Testing
import S2IGANFormats
import S2IGANTensor

/// `FileConversion` on the reference's files (written by Python, Tools/fixtures/make_interop_fixtures.py) and back.
@Suite struct FileConversionTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("conversion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func unsupportedPairsAreNamedBeforeAnythingIsRead() {
        let url = { (name: String) in URL(fileURLWithPath: "/data/\(name)") }
        #expect(FileConversion.unsupportedPair(input: url("a.pickle"), output: url("b.safetensors")) == nil)
        #expect(FileConversion.unsupportedPair(input: url("a.SAFETENSORS"), output: url("b.npy")) == nil)
        #expect(FileConversion.unsupportedPair(input: url("g.pth"), output: url("g.safetensors")) == nil)
        #expect(FileConversion.unsupportedPair(input: url("g.pt"), output: url("g.npy")) == "a PyTorch checkpoint converts to .safetensors")
        #expect(FileConversion.unsupportedPair(input: url("a.txt"), output: url("b.npy"))
                == "don't know how to read '/data/a.txt' (expected .pickle, .npy or .safetensors)")
        #expect(FileConversion.unsupportedPair(input: url("a.npy"), output: url("b.json"))
                == "don't know how to write '/data/b.json' (expected .safetensors, .pickle or .npy)")
        #expect(throws: FormatError.self) { try FileConversion.convert(url("a.txt"), to: url("b.npy")) }
    }

    /// The reference's embedding pickle → safetensors → pickle → .npy keeps every array, in order.
    @Test func listsOfArraysRoundTrip() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let expected = try fixtures.load("interop/embeddings_expected")
        let arrays = try ["e0", "e1", "e2"].map { try expected.tensor($0) }
        let safetensors = folder.appendingPathComponent("e.safetensors"), pickle = folder.appendingPathComponent("e.pkl")
        let npy = folder.appendingPathComponent("e.npy")
        let first = try FileConversion.convert(fixtures.url("interop/embeddings.pickle"), to: safetensors)
        #expect(first.count == arrays.count && !first.isStateDict)
        #expect(first.shapes == Set(arrays.map { "\($0.shape)" }).sorted())
        let written = try SafeTensorsFile.read(safetensors)
        #expect(written.metadata["source"] == "embeddings.pickle")
        for (i, array) in arrays.enumerated() { #expect(try written.tensor("\(i)").isIdentical(to: array)) }
        try FileConversion.convert(safetensors, to: pickle)
        #expect(try PickleReader.read(pickle).tensors().elementsEqual(arrays) { $0.isIdentical(to: $1) })
        try FileConversion.convert(pickle, to: npy)
        #expect(try NPY.readMatrices(npy).elementsEqual(arrays) { $0.isIdentical(to: $1) })
    }

    /// Tensors named 0…11 come back in numeric order (10 after 9, not after 1).
    @Test func safetensorsListsAreReadInNumericOrder() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tensors = try (0..<12).map { try Tensor(shape: [1, 1], scalars: [Float($0)]) }
        let input = folder.appendingPathComponent("list.safetensors"), output = folder.appendingPathComponent("list.npy")
        try SafeTensorsFile(tensors: Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ("\($0.offset)", $0.element) })).write(to: input)
        let summary = try FileConversion.convert(input, to: output)
        #expect(summary.count == 12 && summary.shapes == ["[1, 1]"])
        #expect(try NPY.readMatrices(output).map { $0.scalars[0] } == (0..<12).map(Float.init))
    }

    @Test func stateDictsKeepNamesAndTypes() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("state.safetensors")
        let summary = try FileConversion.convert(fixtures.url("interop/state_zip.pth"), to: output)
        #expect(summary == FileConversion.Summary(count: 12, shapes: [], isStateDict: true))
        let file = try SafeTensorsFile.read(output)
        #expect(file.names.contains("conv1.weight") && file.arrays["half"]?.scalarType == .float16)
        #expect(try file.tensor("conv1.weight").isIdentical(to: fixtures.load("interop/state_expected").tensor("conv1.weight")))
        try FileConversion.convert(fixtures.url("interop/state_zip.pth"), to: output, stripModulePrefix: false)
        #expect(try SafeTensorsFile.read(output).names.contains("module.conv1.weight"))
    }
}
