import S2IGANAutograd
import S2IGANDatasets
import S2IGANDistributed
import Foundation
import S2IGANNN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

extension RDGArchitecture {
    /// The generator's sizes read back from its weights (stages, widths, noise, condition and speech sizes,
    /// residual blocks); the relation supervisor's sizes keep their defaults.
    public init(generatorStateDict s: [String: Tensor]) throws {
        guard let ca = s["ca_net.fc.weight"], ca.rank == 2, let fc = s["h_net1.fc.0.weight"], fc.rank == 2,
              let image = s["img_net1.img.0.weight"], image.rank == 4 else {
            throw GANError.invalidConfiguration("generator weights: missing ca_net.fc.weight, h_net1.fc.0.weight or img_net1.img.0.weight")
        }
        let condition = ca.shape[0] / 4
        let stages = s.keys.contains { $0.hasPrefix("h_net3.") } ? 3 : s.keys.contains { $0.hasPrefix("h_net2.") } ? 2 : 1
        let blocks = Set(s.keys.compactMap { key -> Int? in
            guard key.hasPrefix("h_net2.residual.") else { return nil }
            return Int(key.dropFirst("h_net2.residual.".count).prefix { $0 != "." })
        }).count
        self.init(stages: stages, generatorWidth: image.shape[1], noiseSize: fc.shape[1] - condition, conditionSize: condition,
                  speechEmbeddingSize: ca.shape[1], residualBlocks: stages > 1 ? blocks : 2)
    }
}

extension Generator {
    /// The state dict and the architecture of `netG_<N>.safetensors` (ours: the architecture is in the metadata,
    /// checked against the weights) or the reference's `netG_<N>.pth` (sizes read from the weight shapes; `module.`
    /// prefixes removed). Errors name the file.
    public static func readWeights(from url: URL) throws -> (state: [String: Tensor], architecture: RDGArchitecture) {
        var state: [String: Tensor] = [:]
        var architecture: RDGArchitecture?
        do {
            switch url.pathExtension.lowercased() {
            case "safetensors":
                let file = try SafeTensorsFile.read(url)
                for (name, array) in file.arrays { state[name] = array.tensor() }
                if let json = file.metadata["architecture"] {
                    architecture = try decodeFile("generator: the architecture in the metadata", url) {
                        try JSONDecoder().decode(RDGArchitecture.self, from: Data(json.utf8))
                    }
                }
            case "pth", "pt":
                state = try readStateDict(url)
            default:
                throw GANError.invalidConfiguration("unknown extension '.\(url.pathExtension)' (expected .safetensors or .pth)")
            }
            // The weights decide the sizes: an architecture in the metadata that disagrees with them is refused
            // before anything is built (a lying width would otherwise allocate for it).
            let fromWeights = try RDGArchitecture(generatorStateDict: state)
            if let architecture {
                let differences = architecture.generatorDifferences(from: fromWeights)
                guard differences.isEmpty else {
                    throw GANError.file(path: url.path, reason: "generator: the metadata's architecture does not match the weights: "
                                           + differences.joined(separator: ", "))
                }
            }
            return (state, architecture ?? fromWeights)
        } catch let error as any S2IGANError {
            if error.filePath != nil { throw error }
            throw GANError.file(path: url.path, reason: "generator: \(error)")
        }
    }

    /// A generator from `netG_<N>.safetensors` or `.pth` (see ``readWeights(from:)``), in evaluation mode.
    public static func load(from url: URL) throws -> Generator {
        let (state, architecture) = try readWeights(from: url)
        do {
            let generator = try Generator(architecture)
            try generator.load(stateDict: state, source: url.path)
            generator.eval()
            return generator
        } catch let error as any S2IGANError {
            if error.filePath != nil { throw error }
            throw GANError.file(path: url.path, reason: "generator: \(error)")
        }
    }
}

/// Image generation (spec 3.7).
public enum RDGGeneration {
    /// Which stages' images are written.
    public enum Stages: String, Sendable, CaseIterable { case last, all }

    /// The generators `netG_<N>.safetensors` / `.pth` in `folder` (a `gan train` run's `models/`), by epoch N
    /// ascending, optionally only those with N in `epochs`. Throws naming the folder if none is there (or in range).
    public static func generatorFiles(in folder: URL, epochs: ClosedRange<Int>? = nil) throws -> [(epoch: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let all = names.compactMap { name -> (epoch: Int, url: URL)? in
            let url = URL(fileURLWithPath: name)
            guard name.hasPrefix("netG_"), ["safetensors", "pth"].contains(url.pathExtension),
                  let n = Int(url.deletingPathExtension().lastPathComponent.dropFirst(5)) else { return nil }
            return (n, folder.appendingPathComponent(name))
        }.sorted { ($0.epoch, $0.url.path) < ($1.epoch, $1.url.path) }
        guard !all.isEmpty else {
            throw GANError.file(path: folder.path, reason: "no netG_<epoch>.safetensors or .pth in the folder (has the RDG been trained?)")
        }
        guard let epochs else { return all }
        let chosen = all.filter { epochs.contains($0.epoch) }
        guard !chosen.isEmpty else {
            let range = epochs.upperBound == .max ? "≥ \(epochs.lowerBound)" : "\(epochs.lowerBound)…\(epochs.upperBound)"
            throw GANError.file(path: folder.path, reason: "no netG_<epoch> with epoch \(range) (it has \(all.map { String($0.epoch) }.joined(separator: ", ")))")
        }
        return chosen
    }

    /// Images of every stage for `embeddings` `[N, D]` with `noise` `[N, z]`; `epsilon` `[N, c]` samples the
    /// condition, `nil` uses μ (deterministic). Runs without recording gradients, in batches of `batchSize`.
    public static func images(generator g: Generator, embeddings: Tensor, noise: Tensor, epsilon: Tensor?, batchSize: Int = 32) throws -> [Tensor] {
        let n = embeddings.shape.first ?? 0
        guard embeddings.rank == 2, noise.rank == 2, noise.shape[0] == n, n > 0 else {
            throw GANError.shapeMismatch("generation: \(embeddings.shape) embeddings and \(noise.shape) noise (need [N, D] and [N, z])")
        }
        for (name, tensor) in [("embeddings", embeddings), ("noise", noise)] + (epsilon.map { [("conditioning noise", $0)] } ?? []) {
            let bad = tensor.nonFiniteRows
            guard bad.isEmpty else {
                throw GANError.invalidInput("generation: \(name) row(s) \(bad.prefix(5).map(String.init).joined(separator: ", ")) hold NaN or infinite values")
            }
        }
        var outputs: [[Tensor]] = Array(repeating: [], count: g.architecture.stages)
        for start in stride(from: 0, to: n, by: max(batchSize, 1)) {
            let end = min(start + batchSize, n)
            let result = try GradientMode.withoutGradient {
                try g(noise: Variable(noise.slice(axis: 0, start: start, end: end)), embedding: Variable(embeddings.slice(axis: 0, start: start, end: end)),
                      epsilon: epsilon.map { try $0.slice(axis: 0, start: start, end: end) })
            }
            // Embeddings far outside what the generator learnt (or weights that overflow on them) give an infinite
            // condition or images that are not numbers; solid black images would be written otherwise. An infinite
            // condition can still end in finite, saturated images, so it is checked on its own.
            let parts = [("sampled conditions", result.condition.value)] + result.images.enumerated().map { ("\(g.architecture.imageSizes[$0.offset]) px images", $0.element.value) }
            for (what, tensor) in parts {
                let bad = tensor.nonFiniteRows
                guard bad.isEmpty else {
                    let row = try embeddings.slice(axis: 0, start: start + bad[0], end: start + bad[0] + 1).scalars
                    throw GANError.invalidConfiguration("generation: the \(what) of row(s) "
                        + "\(bad.prefix(5).map { String($0 + start) }.joined(separator: ", ")) are not finite (embedding norm "
                        + String(format: "%.3g", row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
                        + "; SEN embeddings are unit vectors)")
                }
            }
            for (k, image) in result.images.enumerated() { outputs[k].append(image.value) }
        }
        return try outputs.map { try Tensor.concatenate($0, axis: 0) }
    }

    /// The generators at `url`: the file itself (epoch nil), or the `netG_<N>` files of a folder with N in `epochs`
    /// (see ``generatorFiles(in:epochs:)``). Throws naming `url` when nothing is there.
    public static func generators(at url: URL, epochs: ClosedRange<Int>? = nil) throws -> [(epoch: Int?, url: URL)] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw GANError.file(path: url.path, reason: "generator: no such file or folder")
        }
        guard isFolder.boolValue else { return [(nil, url)] }
        return try generatorFiles(in: url, epochs: epochs).map { ($0.epoch, $0.url) }
    }

    /// The folder the images of generator `epoch` go to under `output`: `output/epoch<N>`, or `output` itself for a
    /// single generator (the layout `s2igan eval` reads back).
    public static func outputFolder(_ output: URL, epoch: Int?) -> URL {
        epoch.map { output.appendingPathComponent("epoch\($0)") } ?? output
    }

    /// The file name of row `row` of given embeddings at `size` px: `<row>_<size>.png`.
    public static func rowFileName(row: Int, size: Int) -> String { "\(row)_\(size).png" }

    /// One image per row of `embeddings` `[N, D]`, written as `<row>_<size>.png` into `folder` (created; removed
    /// again if anything fails): `noise` `[N, z]`, or drawn from `seed`; the conditioning noise drawn from
    /// `seed + 1`, or μ when `deterministic`. Returns the number of rows (the images of each stage written).
    @discardableResult
    public static func generateRows(generator g: Generator, embeddings: Tensor, noise: Tensor? = nil, folder: URL, seed: UInt64 = 100,
                                    deterministic: Bool = false, stages: Stages = .last) throws -> Int {
        let n = embeddings.shape.first ?? 0
        let z: Tensor
        if let noise { z = noise } else {
            var rng = RandomGenerator(seed: seed)
            z = try Tensor.normal([n, g.architecture.noiseSize], using: &rng)
        }
        var rng = RandomGenerator(seed: seed &+ 1)
        let epsilon = deterministic ? nil : try Tensor.normal([n, g.architecture.conditionSize], using: &rng)
        let images = try Self.images(generator: g, embeddings: embeddings, noise: z, epsilon: epsilon)
        let sizes = g.architecture.imageSizes
        return try removingOutputOnFailure(folder) {
            try createFolder(folder)
            for k in (stages == .all ? Array(sizes.indices) : [sizes.count - 1]) {
                for (i, picture) in try images[k].images(range: .signed, quantization: .truncate).enumerated() {
                    try picture.write(to: folder.appendingPathComponent(rowFileName(row: i, size: sizes[k])))
                }
            }
            return n
        }
    }

    /// ``generateRows(generator:embeddings:noise:folder:seed:deterministic:stages:)`` on files: the generator file
    /// (`netG_<N>.safetensors` / `.pth`), the embeddings `.npy` `[N, D]` and optionally a noise `.npy` `[N, z]`. An
    /// error that is not already about a file names the embeddings file and the generator.
    @discardableResult
    public static func generateRows(generatorFile: URL, embeddingsFile: URL, noiseFile: URL? = nil, folder: URL, seed: UInt64 = 100,
                                    deterministic: Bool = false, stages: Stages = .last) throws -> Int {
        let g = try Generator.load(from: generatorFile)
        let embeddings = try NPY.readTensor(embeddingsFile)
        let noise = try noiseFile.map { try NPY.readTensor($0) }
        do {
            return try generateRows(generator: g, embeddings: embeddings, noise: noise, folder: folder, seed: seed, deterministic: deterministic,
                                    stages: stages)
        } catch let error as any S2IGANError {
            if error.filePath != nil { throw error }
            throw GANError.file(path: embeddingsFile.path, reason: "\(readableDescription(of: error)) (generator \(generatorFile.lastPathComponent))")
        }
    }

    /// ``generateSplit(generator:keys:embeddings:folder:batchSize:seed:deterministic:stages:dropLast:progress:)`` with the
    /// generator read from `generatorFile`: nothing is left in `folder` if it fails, and an error that is not already
    /// about a file names `embeddingsSource` (where the embeddings were read) and the generator.
    @discardableResult
    public static func generateSplit(generatorFile: URL, keys: [String], embeddings: [Tensor], embeddingsSource: URL, folder: URL,
                                     batchSize: Int = 7, seed: UInt64 = 100, deterministic: Bool = false, stages: Stages = .last,
                                     dropLast: Bool = true, shard: Shard = .whole, progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        let g = try Generator.load(from: generatorFile)
        do {
            return try removingOutputOnFailure(folder) {
                try generateSplit(generator: g, keys: keys, embeddings: embeddings, folder: folder, batchSize: batchSize, seed: seed,
                                  deterministic: deterministic, stages: stages, dropLast: dropLast, shard: shard, progress: progress)
            }
        } catch let error as any S2IGANError {
            if error.filePath != nil { throw error }
            throw GANError.file(path: embeddingsSource.path, reason: "\(readableDescription(of: error)) (generator \(generatorFile.lastPathComponent))")
        }
    }

    /// The reference's file name of caption `caption` of image `key` at `size` px: `<key>_<size>_sentence<i>.png`
    /// (``GeneratedImageName``, which the evaluations read).
    public static func fileName(key: String, size: Int, caption: Int) -> String {
        GeneratedImageName.fileName(key: key, size: size, caption: caption)
    }

    /// The reference's evaluation images for a split: batches of `batchSize` images (the last incomplete batch
    /// dropped, as the reference does), one noise batch per image batch shared by all its captions, the
    /// conditioning noise drawn anew for every caption (or μ when `deterministic`), seed 100; each image saved
    /// as `<key>_<size>_sentence<i>.png` under `folder` with the reference's truncating conversion. Returns the
    /// number of files written. `progress` gets (done, total) image batches.
    ///
    /// With a `shard` of several ranks, this rank generates the image batches it owns and draws (and drops) the
    /// noise of the others, so every file is the single-process one; together the ranks write them all.
    @discardableResult
    public static func generateSplit(generator g: Generator, keys: [String], embeddings: [Tensor], folder: URL, batchSize: Int = 7,
                                     seed: UInt64 = 100, deterministic: Bool = false, stages: Stages = .last, dropLast: Bool = true,
                                     shard: Shard = .whole, progress: ((Int, Int) -> Void)? = nil) throws -> Int {
        guard keys.count == embeddings.count, !keys.isEmpty else {
            throw GANError.invalidInput("generation: \(keys.count) keys for \(embeddings.count) embedding sets")
        }
        guard batchSize >= 1 else { throw GANError.invalidInput("generation: batch size \(batchSize) (need at least 1)") }
        let a = g.architecture
        let captions = embeddings.map { $0.shape[0] }.min() ?? 0
        let batches = dropLast ? keys.count / batchSize : (keys.count + batchSize - 1) / batchSize
        guard batches > 0 else { throw GANError.invalidInput("generation: \(keys.count) images make no full batch of \(batchSize)") }
        var rng = RandomGenerator(seed: seed)
        var written: [URL] = []
        // A failure half-way (a full disk, non-finite images) takes back what this call wrote.
        func removeWritten() { for url in written { try? FileManager.default.removeItem(at: url) } }
        let sizes = a.imageSizes
        let wanted = stages == .all ? Array(sizes.indices) : [sizes.count - 1]
        for b in 0..<batches {
            let range = (b * batchSize)..<min((b + 1) * batchSize, keys.count)
            let noise = try Tensor.normal([range.count, a.noiseSize], using: &rng)
            for caption in 0..<captions {
                let epsilon = deterministic ? nil : try Tensor.normal([range.count, a.conditionSize], using: &rng)
                guard shard.owns(b) else { continue }
                let e = try Tensor.stack(range.map { try embeddings[$0].slice(axis: 0, start: caption, end: caption + 1).reshaped([embeddings[$0].shape[1]]) }, axis: 0)
                do {
                    let images = try Self.images(generator: g, embeddings: e, noise: noise, epsilon: epsilon, batchSize: range.count)
                    for k in wanted {
                        let pictures = try images[k].images(range: .signed, quantization: .truncate)
                        for (j, index) in range.enumerated() {
                            let url = folder.appendingPathComponent(fileName(key: keys[index], size: sizes[k], caption: caption))
                            try createFolder(url.deletingLastPathComponent())
                            try pictures[j].write(to: url)
                            written.append(url)
                        }
                    }
                } catch {
                    removeWritten()
                    throw error
                }
            }
            progress?(b + 1, batches)
        }
        return written.count
    }
}
