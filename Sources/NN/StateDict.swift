import S2IGANAutograd
import Foundation
import S2IGANTensor
import S2IGANFormats

/// An error loading a state dict into a module: every problem is listed, not just the first.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    public var source: String
    public var missing: [String]
    public var unexpected: [String]
    public var shapeMismatches: [String]
    /// Keys whose values hold NaN or infinities: such weights would make every output NaN (an all-NaN embedding,
    /// solid black images) without any other sign.
    public var nonFinite: [String] = []

    public init(source: String, missing: [String], unexpected: [String], shapeMismatches: [String], nonFinite: [String] = []) {
        (self.source, self.missing, self.unexpected, self.shapeMismatches, self.nonFinite) = (source, missing, unexpected, shapeMismatches, nonFinite)
    }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing key(s) \(missing.map { "'\($0)'" }.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected key(s) \(unexpected.map { "'\($0)'" }.joined(separator: ", "))") }
        parts += shapeMismatches
        if !nonFinite.isEmpty {
            parts.append("NaN or infinite values in \(nonFinite.prefix(5).map { "'\($0)'" }.joined(separator: ", "))" + (nonFinite.count > 5 ? " and \(nonFinite.count - 5) more" : ""))
        }
        return "state dict \(source): " + parts.joined(separator: "; ")
    }
}

extension Module {
    /// Parameters then buffers of each module, children after their parent: PyTorch's `state_dict()`
    /// order and names.
    public func stateDict() -> [(String, Tensor)] {
        var result = namedOwnParameters.map { ($0.0, $0.1.value) } + namedOwnBuffers.map { ($0.0, $0.1.value) }
        for (name, child) in namedChildren {
            result += child.stateDict().map { ("\(name).\($0.0)", $0.1) }
        }
        return result
    }

    /// The names of ``stateDict()`` in order.
    public var stateDictKeys: [String] { stateDict().map(\.0) }

    /// Copies values into the parameters and buffers by name. With `strict`, keys the module lacks and
    /// keys the dictionary lacks are errors; shapes must always match. Nothing is changed when it throws.
    public func load(stateDict: [String: Tensor], strict: Bool = true, source: String = "") throws {
        try checkStateKeys()
        var targets: [String: (shape: [Int], assign: (Tensor) -> Void)] = [:]
        for (name, p) in namedParameters() { targets[name] = (p.value.shape, { p.value = $0 }) }
        for (name, b) in namedBuffers() { targets[name] = (b.value.shape, { b.value = $0 }) }
        var error = StateDictError(source: source.isEmpty ? "" : "'\(source)'", missing: [], unexpected: [], shapeMismatches: [])
        if strict {
            error.missing = stateDictKeys.filter { stateDict[$0] == nil }
            error.unexpected = stateDict.keys.filter { targets[$0] == nil }.sorted()
        }
        for name in stateDictKeys {
            guard let value = stateDict[name], let target = targets[name] else { continue }
            // A 0-d counter stored as [1] (or the reverse) is the same value.
            if value.shape != target.shape && !(value.count == 1 && Shape0.count(target.shape) == 1) {
                error.shapeMismatches.append("shape mismatch for '\(name)': file \(value.shape), model \(target.shape)")
            }
            if !value.isFinite { error.nonFinite.append(name) }
        }
        guard error.missing.isEmpty && error.unexpected.isEmpty && error.shapeMismatches.isEmpty && error.nonFinite.isEmpty else { throw error }
        for name in stateDictKeys {
            guard let value = stateDict[name], let target = targets[name] else { continue }
            target.assign(value.shape == target.shape ? value : try value.reshaped(target.shape))
        }
    }

    /// Writes the state dict as safetensors (atomically), with `metadata` in `__metadata__`. Buffers
    /// declared as `.int64` are stored as I64, as PyTorch stores them.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try checkStateKeys()
        let int64Buffers = Set(namedBuffers().filter { $0.1.scalarType == .int64 }.map(\.0))
        var file = SafeTensorsFile(metadata: metadata)
        for (name, value) in stateDict() {
            if int64Buffers.contains(name) {
                file.arrays[name] = try TypedArray(int64: value.scalars.map { Int64($0) }, shape: value.shape)
            } else {
                file.arrays[name] = TypedArray(value)
            }
        }
        try file.write(to: url)
    }

    /// Loads a safetensors state dict (any numeric dtypes, converted to Float32) and returns its metadata.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws -> [String: String] {
        let file = try SafeTensorsFile.read(url)
        try load(stateDict: file.arrays.mapValues { $0.tensor() }, strict: strict, source: url.path)
        return file.metadata
    }
}

/// The state dict of a safetensors file or a PyTorch checkpoint (`.pth`, `.pt`, `.bin`, `.ckpt`, `.tar`: a state
/// dict, or a dict holding one under `stateDictKey`, with DataParallel's `module.` prefixes removed), told apart by
/// extension, every value as Float32.
public func readStateDict(_ url: URL, stateDictKey: String? = nil) throws -> [String: Tensor] {
    var state: [String: Tensor] = [:]
    switch url.pathExtension.lowercased() {
    case "safetensors":
        for (name, array) in try SafeTensorsFile.read(url).arrays { state[name] = array.tensor() }
    case "pth", "pt", "bin", "ckpt", "tar":
        for (name, array) in try TorchCheckpoint.read(url).stateDict(under: stateDictKey) { state[name] = array.tensor() }
    default:
        throw NNError.file(path: url.path, reason: "weights: unknown extension '.\(url.pathExtension)' (expected .safetensors or .pth)")
    }
    return state
}

extension Module {
    /// Loads weights from a safetensors file or a PyTorch checkpoint (see ``readStateDict(_:stateDictKey:)``).
    public func loadWeights(from url: URL, strict: Bool = true, stateDictKey: String? = nil) throws {
        try load(stateDict: readStateDict(url, stateDictKey: stateDictKey), strict: strict, source: url.path)
    }
}

/// Element counts for the state-dict checks.
enum Shape0 {
    static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }
}
