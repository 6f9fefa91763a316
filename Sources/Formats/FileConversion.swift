import Foundation
import S2IGANTensor

/// Conversions between the reference's Python files and the native ones, chosen by the file extensions:
///
/// | input | output |
/// |---|---|
/// | list-of-arrays `.pickle` / `.pkl` (speech embeddings) | `.safetensors` (tensors "0", "1", …) |
/// | `.safetensors` (tensors "0", "1", …) | `.pickle` (a list of float32 NumPy arrays) or `.npy` (an object array of them, as the mel files) |
/// | mel `.npy` (object array of matrices, or one array) | `.safetensors` |
/// | PyTorch `.pth` / `.pt` state dict | `.safetensors` (same names, a leading `module.` removed unless kept, dtypes kept) |
///
/// Every output is written atomically; the safetensors files record the input's name as `source` in their metadata.
public enum FileConversion {
    /// What a conversion wrote.
    public struct Summary: Equatable, Sendable {
        /// The tensors written: the state dict's entries, or the arrays of the list.
        public var count: Int
        /// The distinct shapes of a list of arrays, sorted as text (`[2, 40]`); empty for a state dict.
        public var shapes: [String]
        /// The input was a PyTorch checkpoint (its names kept) rather than a list of arrays.
        public var isStateDict: Bool

        public init(count: Int, shapes: [String], isStateDict: Bool) {
            (self.count, self.shapes, self.isStateDict) = (count, shapes, isStateDict)
        }
    }

    static let listInputs: Set<String> = ["pickle", "pkl", "npy", "safetensors"]
    static let listOutputs: Set<String> = ["safetensors", "pickle", "pkl", "npy"]
    static let checkpointInputs: Set<String> = ["pth", "pt"]

    /// Why `input` cannot be converted to `output`, judged from the extensions alone (before anything is read);
    /// nil when the pair is supported.
    public static func unsupportedPair(input: URL, output: URL) -> String? {
        let from = input.pathExtension.lowercased(), to = output.pathExtension.lowercased()
        if checkpointInputs.contains(from) {
            return to == "safetensors" ? nil : "a PyTorch checkpoint converts to .safetensors"
        }
        guard listInputs.contains(from) else { return "don't know how to read '\(input.path)' (expected .pickle, .npy or .safetensors)" }
        guard listOutputs.contains(to) else { return "don't know how to write '\(output.path)' (expected .safetensors, .pickle or .npy)" }
        return nil
    }

    /// Converts `input` to `output`. For a `.pth`, `stateDictKey` names the entry holding the state dict (default:
    /// the top level, or `state_dict`) and `stripModulePrefix` removes a leading `module.` from the names. An
    /// unsupported pair, or a file that cannot be read or written, is an error naming it.
    @discardableResult
    public static func convert(_ input: URL, to output: URL, stateDictKey: String? = nil, stripModulePrefix: Bool = true) throws -> Summary {
        if let problem = unsupportedPair(input: input, output: output) { throw FormatError.unsupported(problem) }
        let metadata = ["source": input.lastPathComponent]
        if checkpointInputs.contains(input.pathExtension.lowercased()) {
            let state = try TorchCheckpoint.read(input).stateDict(under: stateDictKey, stripModulePrefix: stripModulePrefix)
            var file = SafeTensorsFile(metadata: metadata)
            for (name, array) in state { file.arrays[name] = array }
            try file.write(to: output)
            return Summary(count: state.count, shapes: [], isStateDict: true)
        }
        let tensors = try readList(input)
        switch output.pathExtension.lowercased() {
        case "safetensors":
            let named = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ("\($0.offset)", $0.element) })
            try SafeTensorsFile(tensors: named, metadata: metadata).write(to: output)
        case "npy":
            try NPY.writeMatrices(tensors, to: output)
        default:
            try PickleWriter.write(.arrayList(tensors), to: output)
        }
        return Summary(count: tensors.count, shapes: Set(tensors.map { "\($0.shape)" }).sorted(), isStateDict: false)
    }

    /// The arrays of a list file, in order; a safetensors file's tensors by numeric name ("0", "1", … "10"),
    /// then other names alphabetically.
    static func readList(_ url: URL) throws -> [Tensor] {
        switch url.pathExtension.lowercased() {
        case "pickle", "pkl": return try PickleReader.read(url).tensors()
        case "npy": return try NPY.readMatrices(url)
        default:
            let file = try SafeTensorsFile.read(url)
            let names = file.names.sorted { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }
            return try names.map { try file.tensor($0) }
        }
    }
}
