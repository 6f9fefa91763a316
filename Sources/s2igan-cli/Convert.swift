import ArgumentParser
import Foundation
import S2IGANFormats

/// Conversions between the reference's Python formats and the native ones (``FileConversion``).
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

    func validate() throws {
        if let problem = FileConversion.unsupportedPair(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output)) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        let summary = try FileConversion.convert(URL(fileURLWithPath: input), to: URL(fileURLWithPath: output), stateDictKey: stateDictKey,
                                                 stripModulePrefix: !keepModulePrefix)
        if summary.isStateDict {
            print("converted \(summary.count) tensor(s) from \(input) to \(output)")
        } else {
            let shapes = summary.shapes
            print("converted \(summary.count) array(s) (shapes \(shapes.prefix(3).joined(separator: ", "))\(shapes.count > 3 ? ", ..." : "")) from \(input) to \(output)")
        }
    }
}
