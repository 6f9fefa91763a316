import Foundation
import S2IGANFormats
import S2IGANNN
import S2IGANTensor

/// The weights of an RDG run in a folder: the reference trainer's `Model/` (`netG_<N>.pth`, `netD0.pth`,
/// `netD1.pth`, `netD2.pth`, `netMD.pth`, keys with DataParallel's `module.` prefix, no optimiser state) or a `gan
/// train` run's `models/` (the same names as `.safetensors`). A run folder itself may be given: its `models/` or
/// `Model/` is used. The sizes of the networks are read from the weights.
public struct RDGModelFolder: Sendable {
    /// The folder holding the files.
    public let folder: URL
    /// `netG_<epoch>`: the newest unless an epoch was asked for.
    public let generator: URL
    public let epoch: Int
    /// `netD0`, `netD1`, … as far as they go without a gap.
    public let discriminators: [URL]
    /// `netMD`, when there is one.
    public let relation: URL?

    /// The files in `url` (or in its `models/` or `Model/`), the generator of `epoch` or else the newest one.
    public init(_ url: URL, epoch: Int? = nil) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw GANError.file(path: url.path, reason: "RDG weights: no such folder")
        }
        let folder = ["models", "Model"].map { url.appendingPathComponent($0) }.first { sub in
            (try? RDGGeneration.generatorFiles(in: sub)) != nil
        } ?? url
        let generators = try RDGGeneration.generatorFiles(in: folder, epochs: epoch.map { $0...$0 })
        let chosen = generators[generators.count - 1]
        func file(_ name: String) -> URL? {
            ["safetensors", "pth"].map { folder.appendingPathComponent("\(name).\($0)") }.first { FileManager.default.fileExists(atPath: $0.path) }
        }
        var discriminators: [URL] = []
        while let d = file("netD\(discriminators.count)") { discriminators.append(d) }
        (self.folder, generator, self.epoch, self.discriminators, relation) = (folder, chosen.url, chosen.epoch, discriminators, file("netMD"))
    }

    /// The architecture of the weights: the generator's sizes, the discriminators' width from `netD0`, the relation
    /// supervisor's sizes from `netMD`.
    public func architecture() throws -> RDGArchitecture {
        var a = try Generator.readWeights(from: generator).architecture
        guard discriminators.count >= a.stages else {
            throw GANError.file(path: folder.path, reason: "RDG weights: the generator has \(a.stages) stages but there is no netD\(discriminators.count).pth or .safetensors")
        }
        let d0 = try readStateDict(discriminators[0])
        guard let first = d0["img_code_s16.0.weight"], first.rank == 4 else {
            throw GANError.file(path: discriminators[0].path, reason: "discriminator: no 4-d 'img_code_s16.0.weight'")
        }
        a.discriminatorWidth = first.shape[0]
        if let relation {
            guard let hidden = try readStateDict(relation)["L1.weight"], hidden.rank == 2, hidden.shape[1] % 2 == 0 else {
                throw GANError.file(path: relation.path, reason: "relation supervisor: no 2-d 'L1.weight' of an even input width")
            }
            (a.relationHiddenSize, a.relationEmbeddingSize) = (hidden.shape[0], hidden.shape[1] / 2)
        }
        // Sizes read from files are bounded before any network is built for them.
        do { try a.validate() } catch {
            throw GANError.file(path: folder.path, reason: "RDG weights: \(error)")
        }
        return a
    }

    /// New networks built from the weights (``architecture()``), in training mode; the relation supervisor only when
    /// there is a `netMD`.
    public func networks() throws -> RDGNetworks {
        let a = try architecture()
        let networks = RDGNetworks(generator: try Generator(a), discriminators: try (0..<a.stages).map { try Discriminator.forStage($0, architecture: a) },
                                   relation: try relation.map { _ in try RelationSupervisor(embeddingSize: a.relationEmbeddingSize, hiddenSize: a.relationHiddenSize) })
        try load(into: networks)
        return networks
    }

    /// Copies the weights into `networks` (which must have the same sizes: a difference is an error naming the file).
    /// A `netMD` is required when `networks` has a relation supervisor, unless `freshRelation` lets it keep its own.
    public func load(into networks: RDGNetworks, freshRelation: Bool = false) throws {
        let (state, weights) = try Generator.readWeights(from: generator)
        let differences = networks.generator.architecture.generatorDifferences(from: weights)
        guard differences.isEmpty else {
            throw GANError.file(path: generator.path, reason: "generator: the weights differ from the configuration: " + differences.joined(separator: ", "))
        }
        try networks.generator.load(stateDict: state, source: generator.path)
        guard discriminators.count >= networks.discriminators.count else {
            throw GANError.file(path: folder.path, reason: "RDG weights: no netD\(discriminators.count).pth or .safetensors for a generator of \(networks.discriminators.count) stages")
        }
        for (d, url) in zip(networks.discriminators, discriminators) { try d.load(stateDict: readStateDict(url), source: url.path) }
        if let rs = networks.relation {
            if let relation {
                try rs.load(stateDict: readStateDict(relation), source: relation.path)
            } else if !freshRelation {
                throw GANError.file(path: folder.path, reason: "RDG weights: no netMD.pth or .safetensors for the relation supervisor")
            }
        }
    }
}
