import S2IGANAudio
import S2IGANDatasets
import S2IGANDistributed
import Foundation
import S2IGANTensor
import S2IGANFormats

/// Speech embeddings of whole splits (the reference's step 02, spec 2.8) and of arbitrary recordings.
public enum SpeechEmbeddings {
    /// For every image of `dataset`, in split order, the `(captions, D)` embeddings of all its captions, each
    /// caption encoded alone (no padding) in evaluation mode. Images are spread over `workers` threads; the
    /// result does not depend on their number.
    public static func extract(encoder: SpeechEncoder, dataset: SpokenImageDataset, workers: Int = 2,
                               progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> [Tensor] {
        try extract(encoder: encoder, dataset: dataset, shard: .whole, workers: workers, progress: progress).map { $0! }
    }

    /// ``extract(encoder:dataset:workers:progress:)`` for the images `shard` owns (the others are `nil`).
    public static func extract(encoder: SpeechEncoder, dataset: SpokenImageDataset, shard: Shard, workers: Int = 2,
                               progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> [Tensor?] {
        let wasTraining = encoder.isTraining
        encoder.eval()
        defer { encoder.train(wasTraining) }
        let owned = shard.indices(of: dataset.count)
        let results = Locked([Tensor?](repeating: nil, count: dataset.count)), failure = Locked<Error?>(nil), done = Locked(0)
        let shared = UncheckedBox(encoder)
        Parallel.forEachItem(owned.count, workers: workers) { o in
            guard failure.value == nil else { return }
            let i = owned[o]
            let item = dataset.items[i]
            do {
                let captions = try dataset.captions(of: item)
                let embedded: Tensor
                do { embedded = try shared.value.embed(captions) } catch let error as any S2IGANError {
                    if error.filePath != nil { throw error }
                    throw SENError.file(path: item.features.path, reason: "\(readableDescription(of: error))")
                }
                results.update { $0[i] = embedded }
                var finished = 0
                done.update { $0 += 1; finished = $0 }
                progress(finished, owned.count)
            } catch {
                failure.update { $0 = $0 ?? error }
            }
        }
        if let error = failure.value { throw error }
        return results.value
    }

    /// The embeddings of a sharded ``extract(encoder:dataset:shard:workers:progress:)`` joined on every rank of
    /// `group`: each rank's own images, every other image from the rank that embedded it, bit for bit.
    public static func gather(_ mine: [Tensor?], embeddingSize d: Int, group: ProcessGroup) throws -> [Tensor] {
        var counts = mine.map { Int64($0?.shape[0] ?? 0) }
        try group.allReduce(&counts)
        let offsets = counts.reduce(into: [0]) { $0.append($0.last! + Int($1)) }
        var values = [Float](repeating: -.infinity, count: offsets.last! * d)
        for (i, e) in mine.enumerated() {
            guard let e else { continue }
            guard e.shape == [Int(counts[i]), d] else {
                throw SENError.shapeMismatch("speech embeddings: image \(i) is \(e.shape) on rank \(group.rank), expected [\(counts[i]), \(d)]")
            }
            values.replaceSubrange((offsets[i] * d)..<(offsets[i + 1] * d), with: e.scalars)
        }
        try group.combineDisjoint(&values)
        return try counts.indices.map { i in
            try Tensor(shape: [Int(counts[i]), d], scalars: Array(values[(offsets[i] * d)..<(offsets[i + 1] * d)]))
        }
    }

    /// Embeds both splits of a dataset into `folder` (the reference's step 02): for each split,
    /// `speech_embeddings_<split>.pickle` (the reference's format) and `.safetensors` (ours, with the image keys).
    /// Returns, per split, the images and captions embedded and the caption counts seen (more than one count
    /// means images with different numbers of captions).
    ///
    /// With a `group` of several ranks, each embeds its ``ProcessGroup/shard`` of the images, the embeddings are
    /// joined (``gather(_:embeddingSize:group:)``) and rank 0 writes the files, exactly the single-process ones.
    @discardableResult
    public static func extractSplits(encoder: SpeechEncoder, kind: DatasetKind, root: URL, folder: URL, workers: Int = 2, group: ProcessGroup? = nil,
                                     progress: @escaping @Sendable (DatasetSplit, Int, Int) -> Void = { _, _, _ in })
        throws -> [(split: DatasetSplit, images: Int, captions: Int, captionCounts: [Int])] {
        if group?.isRoot ?? true { try createFolder(folder) }
        var summary: [(split: DatasetSplit, images: Int, captions: Int, captionCounts: [Int])] = []
        for split in DatasetSplit.allCases {
            let data = try SpokenImageDataset.open(kind: kind, root: root, split: split)
            let embeddings: [Tensor]
            if let group, group.size > 1 {
                let mine = try extract(encoder: encoder, dataset: data, shard: group.shard, workers: workers) { progress(split, $0, $1) }
                embeddings = try gather(mine, embeddingSize: encoder.configuration.embeddingSize, group: group)
            } else {
                embeddings = try extract(encoder: encoder, dataset: data, workers: workers) { progress(split, $0, $1) }
            }
            if group?.isRoot ?? true {
                try writePickle(embeddings, to: folder.appendingPathComponent("speech_embeddings_\(split.rawValue).pickle"))
                try writeSafeTensors(embeddings, keys: data.items.map(\.key), to: folder.appendingPathComponent("speech_embeddings_\(split.rawValue).safetensors"))
            }
            summary.append((split, embeddings.count, embeddings.reduce(0) { $0 + $1.shape[0] }, Set(embeddings.map { $0.shape[0] }).sorted()))
        }
        try group?.barrier()
        return summary
    }

    /// Writes the reference's file (`speech_embeddings_<split>.pickle`): a pickled list of float32 NumPy arrays
    /// `(captions, D)`, protocol 3, readable by the reference's GAN code.
    public static func writePickle(_ embeddings: [Tensor], to url: URL) throws {
        try PickleWriter.write(PickleValue.arrayList(embeddings), to: url)
    }

    /// Writes our own format: safetensors with tensors `"0"`, `"1"`, … (the images in split order, as
    /// `s2igan convert` writes them) and the image keys as JSON in the metadata (`keys`).
    public static func writeSafeTensors(_ embeddings: [Tensor], keys: [String], to url: URL) throws {
        guard keys.count == embeddings.count else {
            throw SENError.invalidInput("speech embeddings: \(embeddings.count) arrays for \(keys.count) keys")
        }
        var tensors: [String: Tensor] = [:]
        for (i, e) in embeddings.enumerated() { tensors["\(i)"] = e }
        let json = String(decoding: try JSONEncoder.sorted.encode(keys), as: UTF8.self)
        try SafeTensorsFile(tensors: tensors, metadata: ["keys": json]).write(to: url)
    }

    /// The embeddings of `split` in `folder`, one `[captions, D]` matrix per image in split order: our
    /// `speech_embeddings_<split>.safetensors`, else the reference's `speech_embeddings_<split>.pickle`.
    public static func read(split: String, in folder: URL) throws -> [Tensor] {
        let safetensors = folder.appendingPathComponent("speech_embeddings_\(split).safetensors")
        let pickle = folder.appendingPathComponent("speech_embeddings_\(split).pickle")
        let embeddings: [Tensor]
        let source: URL
        if FileManager.default.fileExists(atPath: safetensors.path) {
            source = safetensors
            let file = try SafeTensorsFile.read(safetensors)
            embeddings = try (0..<file.arrays.count).map { i in
                guard file.arrays["\(i)"] != nil else {
                    throw SENError.file(path: safetensors.path, reason: "speech embeddings: no tensor '\(i)' (expected \"0\" … \"\(file.arrays.count - 1)\")")
                }
                return try file.tensor("\(i)")
            }
        } else if FileManager.default.fileExists(atPath: pickle.path) {
            source = pickle
            do { embeddings = try PickleReader.read(pickle).tensors() } catch let error as any S2IGANError {
                if error.filePath != nil { throw error }
                throw SENError.file(path: pickle.path, reason: "speech embeddings: \(readableDescription(of: error))")
            }
        } else {
            throw SENError.file(path: folder.path, reason: "no speech_embeddings_\(split).safetensors or .pickle (run s2igan sen extract)")
        }
        guard let width = embeddings.first?.shape.last else { throw SENError.file(path: source.path, reason: "speech embeddings: the file is empty") }
        for (i, e) in embeddings.enumerated() where e.rank != 2 || e.shape[0] == 0 || e.shape[1] != width || !e.scalars.allSatisfy(\.isFinite) {
            throw SENError.file(path: source.path, reason: "speech embeddings: entry \(i) has shape \(e.shape) or non-finite values (expected [captions, \(width)])")
        }
        return embeddings
    }

    /// Embeddings `[N, D]` of recordings (any format `AudioSignal` reads, resampled to 22 050 Hz and turned
    /// into the reference's log-mel features) or of feature files (`.npy` matrices or object arrays, every
    /// caption they hold, in order).
    public static func embed(encoder: SpeechEncoder, recordings: [URL] = [], featureFiles: [URL] = []) throws -> Tensor {
        let extractor = AudioFeatureExtractor()
        var utterances: [(Tensor, URL)] = []
        for url in recordings { utterances.append((try extractor.features(of: url), url)) }
        for url in featureFiles {
            for matrix in try SpokenImageDataset.readCaptions(url) { utterances.append((matrix, url)) }
        }
        guard !utterances.isEmpty else { throw SENError.invalidInput("embed: no recordings or feature files given") }
        let minimum = encoder.configuration.minimumFrames
        var rows: [Tensor] = []
        for (features, url) in utterances {
            guard features.rank == 2, features.shape[1] == encoder.configuration.melBands else {
                throw SENError.file(path: url.path, reason: "features \(features.shape) are not (frames, \(encoder.configuration.melBands))")
            }
            guard features.shape[0] >= minimum else {
                throw SENError.file(path: url.path, reason: "\(features.shape[0]) frames; the speech encoder needs at least \(minimum) (\(minimum * 10) ms)")
            }
            guard features.isFinite else { throw SENError.file(path: url.path, reason: "the features hold NaN or infinite values") }
            let row = try encoder.embed([features])
            guard row.isFinite else {
                throw SENError.file(path: url.path, reason: "the speech encoder's embedding of it is not finite (its weights, or values they overflow on)")
            }
            rows.append(row)
        }
        return try Tensor.concatenate(rows, axis: 0)
    }
}

/// A reference handed to worker threads that only read through it.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
