import ArgumentParser
import Foundation
import S2IGANTensor
import S2IGANFormats

/// Conversions between the reference's Python formats and the native ones.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert between the reference's Python files and safetensors / .npy.",
        discussion: """
        Formats follow the file extensions:
          list-of-arrays .pickle (speech embeddings)  ->  .safetensors (tensors "0", "1", ...)
          .safetensors (tensors "0", "1", ...)        ->  .pickle (a list of float32 NumPy arrays)
                                                      or .npy (an object array of them, as the mel files)
          mel .npy (object array of matrices, or one array)  ->  .safetensors (tensors "0", "1", ...)
          PyTorch .pth / .pt state dict               ->  .safetensors (same names, a leading "module." removed,
                                                          dtypes kept)
        """
    )

    @Argument(help: "The file to read.") var input: String
    @Argument(help: "The file to write (replaced atomically).") var output: String

    @Option(help: "For .pth input: the entry holding the state dict (default: the top level, or 'state_dict').")
    var stateDictKey: String?

    @Flag(help: "For .pth input: keep a leading 'module.' in the names.")
    var keepModulePrefix = false

    func run() throws {
        let source = URL(fileURLWithPath: input), target = URL(fileURLWithPath: output)
        if ["pth", "pt"].contains(source.pathExtension.lowercased()) {
            guard target.pathExtension.lowercased() == "safetensors" else {
                throw ValidationError("a PyTorch checkpoint converts to .safetensors")
            }
            let state = try TorchCheckpoint.read(source).stateDict(under: stateDictKey, stripModulePrefix: !keepModulePrefix)
            var file = SafeTensorsFile(metadata: ["source": source.lastPathComponent])
            for (name, array) in state { file.arrays[name] = array }
            try file.write(to: target)
            print("converted \(state.count) tensor(s) from \(input) to \(output)")
            return
        }
        let tensors: [Tensor]
        switch source.pathExtension.lowercased() {
        case "pickle", "pkl": tensors = try PickleReader.read(source).tensors()
        case "npy": tensors = try NPY.readMatrices(source)
        case "safetensors":
            let file = try SafeTensorsFile.read(source)
            let names = file.names.sorted { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }
            tensors = try names.map { try file.tensor($0) }
        default:
            throw ValidationError("don't know how to read '\(input)' (expected .pickle, .npy or .safetensors)")
        }
        switch target.pathExtension.lowercased() {
        case "safetensors":
            let named = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ("\($0.offset)", $0.element) })
            try SafeTensorsFile(tensors: named, metadata: ["source": source.lastPathComponent]).write(to: target)
        case "pickle", "pkl":
            try PickleWriter.write(.arrayList(tensors), to: target)
        case "npy":
            try NPY.writeMatrices(tensors, to: target)
        default:
            throw ValidationError("don't know how to write '\(output)' (expected .safetensors, .pickle or .npy)")
        }
        let shapes = Set(tensors.map { "\($0.shape)" }).sorted()
        print("converted \(tensors.count) array(s) (shapes \(shapes.prefix(3).joined(separator: ", "))\(shapes.count > 3 ? ", ..." : "")) from \(input) to \(output)")
    }
}
