import Foundation
import S2IGANTensor
import S2IGANVision

/// Seeds of independent random streams derived from one seed, so that what an item gets does not depend
/// on which thread prepared it or in what order.
public enum RandomStreams {
    /// A generator for `(seed, epoch, index)`: splitmix64 steps over the three values.
    public static func generator(seed: UInt64, epoch: Int, index: Int) -> RandomGenerator {
        var z = seed
        for value in [UInt64(bitPattern: Int64(epoch)), UInt64(bitPattern: Int64(index))] {
            z = mix(z &+ 0x9E37_79B9_7F4A_7C15 &* (value &+ 1))
        }
        return RandomGenerator(seed: z)
    }

    /// FNV-1a over `bytes`, continuing from `hash`: a stable seed or fingerprint from names.
    public static func fnv1a<Bytes: Sequence>(_ bytes: Bytes, continuing hash: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 where Bytes.Element == UInt8 {
        FNV1a.hash(bytes: bytes, continuing: hash)
    }

    static func mix(_ value: UInt64) -> UInt64 { SplitMix64.mix(value) }
}

/// Which caption a SEN item carries (the reference's section 1.7).
public enum CaptionChoice: Sendable, Equatable {
    /// One caption uniformly at random among `captionsPerImage` (training).
    case random
    /// Caption 0 (validation).
    case first
    /// Every caption, in stored order (embedding extraction).
    case all
}

/// An image with one or all of its spoken captions, for the speech embedding network.
public struct SENItem: Sendable {
    public var key: String
    /// `[3, S, S]` in [−1, 1].
    public var image: Tensor
    /// `(T, 40)` caption matrices (one unless ``CaptionChoice/all``).
    public var captions: [Tensor]
    /// The index of the first caption.
    public var captionIndex: Int
    public var classID: Int
    public var label: Int
}

/// An image pyramid with one caption embedding, a mismatched ("wrong") and a same-class ("similar") image,
/// for the RDG (section 1.7).
public struct GANItem: Sendable {
    public var key: String
    /// `[3, s, s]` in [−1, 1] for each pyramid size (64, 128, 256 at three stages).
    public var images: [Tensor]
    /// The chosen caption's embedding, `[D]`.
    public var embedding: Tensor
    public var captionIndex: Int
    public var wrongImages: [Tensor]
    /// The similar image at the largest size only.
    public var similarImage: Tensor
    public var classID: Int
    public var wrongIndex: Int
    public var similarIndex: Int
}

extension SpokenImageDataset {
    /// A SEN item with the reference's image transform (resize to 76/64 of `imageSize`, random crop, random
    /// flip — also for the test split, as the reference) unless `augment` is false (then a centre crop).
    public func senItem(at index: Int, captions choice: CaptionChoice, imageSize: Int = 256, augment: Bool = true,
                        using rng: inout RandomGenerator) throws -> SENItem {
        guard items.indices.contains(index) else { throw DatasetError.invalidRequest("dataset: index \(index) outside 0..<\(count)") }
        let item = items[index]
        let image = try transformed(item, imageSize: imageSize, augment: augment, using: &rng)
        let all = try captions(of: item)
        let chosen: [Tensor], first: Int
        switch choice {
        case .all: (chosen, first) = (all, 0)
        case .first: (chosen, first) = ([all[0]], 0)
        case .random:
            let i = rng.nextInt(below: captionsPerImage)
            guard i < all.count else {
                throw DatasetError.file(path: item.features.path, reason: "features: caption \(i) of \(all.count) requested")
            }
            (chosen, first) = ([all[i]], i)
        }
        return SENItem(key: item.key, image: image.tensor(range: .signed), captions: chosen, captionIndex: first,
                       classID: item.classID, label: item.label)
    }

    /// The augmented (or centre-cropped) image of an item: resized so its shorter side is 76/64 of
    /// `imageSize`, then a random crop and flip (`augment`) or the centre crop.
    public func transformed(_ item: Item, imageSize: Int, augment: Bool, using rng: inout RandomGenerator) throws -> RGBImage {
        let augmentation = ReferenceAugmentation.reference(imageSize: imageSize)
        let source = try image(of: item)
        if augment { return try augmentation.apply(to: source, using: &rng) }
        return try source.resized(shorterSide: augmentation.resizeSize).centerCropped(width: imageSize, height: imageSize)
    }

    /// A GAN item: the pyramid of the anchor, one random caption embedding of `embeddings[index]`, a wrong
    /// image (uniform over the split, redrawn once if of the anchor's class) and a similar image (another
    /// image of the class for class datasets, the anchor re-augmented otherwise).
    public func ganItem(at index: Int, embeddings: [Tensor], sizes: [Int] = [64, 128, 256],
                        using rng: inout RandomGenerator) throws -> GANItem {
        guard items.indices.contains(index), embeddings.count == count else {
            throw DatasetError.invalidRequest("dataset: index \(index) of \(count) items with \(embeddings.count) embedding sets")
        }
        guard let largest = sizes.max() else { throw DatasetError.invalidRequest("dataset: no pyramid sizes") }
        let item = items[index]
        let pyramid = { (item: Item, rng: inout RandomGenerator) throws -> [Tensor] in
            let crop = try self.transformed(item, imageSize: largest, augment: true, using: &rng)
            return try crop.pyramid(sizes: sizes).map { $0.tensor(range: .signed) }
        }
        let images = try pyramid(item, &rng)
        let table = embeddings[index]
        guard table.rank == 2, table.shape[0] > 0 else {
            throw DatasetError.invalidRequest("dataset: embeddings of '\(item.key)' have shape \(table.shape)")
        }
        let caption = rng.nextInt(below: table.shape[0])
        let embedding = try table.slice(axis: 0, start: caption, end: caption + 1).reshaped([table.shape[1]])
        var wrong = rng.nextInt(below: count)
        if items[wrong].classID == item.classID { wrong = rng.nextInt(below: count) }
        let wrongImages = try pyramid(items[wrong], &rng)
        var similar = index
        if kind.hasClasses {
            let others = classMembers[item.classID, default: []].filter { $0 != index }
            if !others.isEmpty { similar = others[rng.nextInt(below: others.count)] }
        }
        let similarImage = try transformed(items[similar], imageSize: largest, augment: true, using: &rng).tensor(range: .signed)
        return GANItem(key: item.key, images: images, embedding: embedding, captionIndex: caption, wrongImages: wrongImages,
                       similarImage: similarImage, classID: item.classID, wrongIndex: wrong, similarIndex: similar)
    }
}
