import S2IGANAutograd
import Foundation
import S2IGANTensor
import S2IGANFormats

/// One file holding everything a training run needs to resume exactly: the model's state dict, the
/// optimisers' states, an optional parameter average, and string metadata (epoch, configuration).
///
/// The file is safetensors with prefixed names (`model.conv1.weight`, `optimizer.<name>.state.0.exp_avg`,
/// `average.<i>`), so any safetensors tool can open it; it is written to a temporary file and renamed
/// into place, so an interrupted save never leaves a broken checkpoint behind.
public enum TrainingCheckpoint {
    /// Writes the checkpoint atomically.
    public static func save(to url: URL, model: Module, optimizers: [String: any Optimizer] = [:],
                            average: ExponentialMovingAverage? = nil, metadata: [String: String] = [:]) throws {
        try file(model: model, optimizers: optimizers, average: average, metadata: metadata).write(to: url)
    }

    /// The checkpoint in memory: what ``save(to:model:optimizers:average:metadata:)`` writes (a data-parallel job
    /// sends it from one replica to the others).
    public static func file(model: Module, optimizers: [String: any Optimizer] = [:], average: ExponentialMovingAverage? = nil,
                            metadata: [String: String] = [:]) throws -> SafeTensorsFile {
        try model.checkStateKeys()
        var file = SafeTensorsFile(metadata: metadata)
        let int64Buffers = Set(model.namedBuffers().filter { $0.1.scalarType == .int64 }.map(\.0))
        for (name, value) in model.stateDict() {
            file.arrays["model." + name] = int64Buffers.contains(name)
                ? try TypedArray(int64: value.scalars.map { Int64($0) }, shape: value.shape) : TypedArray(value)
        }
        for (key, optimizer) in optimizers {
            guard !key.contains(".") else {
                throw NNError.invalidConfiguration("checkpoint: optimiser name '\(key)' must not contain '.'")
            }
            let state = try optimizer.stateDict()
            for (name, array) in state.arrays { file.arrays["optimizer.\(key).\(name)"] = array }
            for (name, value) in state.metadata { file.metadata["optimizer.\(key).\(name)"] = value }
        }
        if let average {
            let state = average.stateDict()
            for (name, array) in state.arrays { file.arrays[name] = array }
            for (name, value) in state.metadata { file.metadata["average.\(name)"] = value }
        }
        return file
    }

    /// Restores a checkpoint written by ``save(to:model:optimizers:average:metadata:)`` into the given
    /// objects (all of them must be present in the file) and returns the caller's metadata.
    @discardableResult
    public static func load(from url: URL, model: Module, optimizers: [String: any Optimizer] = [:],
                            average: ExponentialMovingAverage? = nil) throws -> [String: String] {
        try load(try SafeTensorsFile.read(url), source: url.path, model: model, optimizers: optimizers, average: average)
    }

    /// Restores a checkpoint held in memory (``file(model:optimizers:average:metadata:)``); `source` names it in errors.
    @discardableResult
    public static func load(_ file: SafeTensorsFile, source: String, model: Module, optimizers: [String: any Optimizer] = [:],
                            average: ExponentialMovingAverage? = nil) throws -> [String: String] {
        var modelState: [String: Tensor] = [:]
        for (name, array) in file.arrays where name.hasPrefix("model.") {
            modelState[String(name.dropFirst("model.".count))] = array.tensor()
        }
        for (key, optimizer) in optimizers {
            let prefix = "optimizer.\(key)."
            var state = SafeTensorsFile()
            for (name, array) in file.arrays where name.hasPrefix(prefix) { state.arrays[String(name.dropFirst(prefix.count))] = array }
            for (name, value) in file.metadata where name.hasPrefix(prefix) { state.metadata[String(name.dropFirst(prefix.count))] = value }
            guard !state.metadata.isEmpty else {
                throw NNError.file(path: source, reason: "checkpoint has no state for optimiser '\(key)'")
            }
            try optimizer.load(stateDict: state)
        }
        if let average {
            var state = SafeTensorsFile()
            for (name, array) in file.arrays where name.hasPrefix("average.") { state.arrays[name] = array }
            for (name, value) in file.metadata where name.hasPrefix("average.") { state.metadata[String(name.dropFirst("average.".count))] = value }
            guard !state.arrays.isEmpty else { throw NNError.file(path: source, reason: "checkpoint has no parameter average") }
            try average.load(stateDict: state)
        }
        try model.load(stateDict: modelState, source: source)
        return file.metadata.filter { !$0.key.hasPrefix("optimizer.") && !$0.key.hasPrefix("average.") }
    }
}
