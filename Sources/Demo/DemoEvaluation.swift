import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANMetrics
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// What the demo measures on the test captions, where the built-in data's ground truth is known.
///
/// - **Attributes from pixels.** Every generated test image (one per caption and stage) is read back with
///   ``FlowerMeasurement`` and compared with the attributes of the flower the caption describes, over the captions
///   that state the attribute. The same measurement on the real test images is its ceiling. Chance is given
///   twice: a uniform guess over the attribute's values, and the best constant guess (always answering the most
///   common value among those captions).
/// - **The SEN's retrieval metric** on the held-out classes (spec 2.7: speech → image mAP), with its chance level.
/// - **R@k through the SEN.** The last stage's generated images are embedded with the SEN's image encoder and
///   ranked against the speech embeddings of their own captions (pair i: caption i and the image generated
///   from it), both directions; the same for the real images of the captions as a reference.
public struct DemoEvaluation: Sendable, Equatable, Codable {
    public struct AttributeScore: Sendable, Equatable, Codable {
        public var attribute: FlowerAttribute
        /// Test captions stating the attribute.
        public var captions: Int
        /// Accuracy of the generated images at each of ``DemoEvaluation/imageSizes``.
        public var generated: [Double]
        /// Accuracy of the measurement on the real test images (per caption, at the dataset's image size).
        public var real: Double
        public var uniformChance: Double
        public var majorityChance: Double
        public var majorityValue: String
        /// The same accuracy for each value the captions state (which colours are drawn right, which not), with what
        /// was read from the generated images instead. Empty in evaluations written before it existed.
        public var byValue: [ValueScore]

        public init(attribute: FlowerAttribute, captions: Int, generated: [Double], real: Double, uniformChance: Double,
                    majorityChance: Double, majorityValue: String, byValue: [ValueScore] = []) {
            (self.attribute, self.captions, self.generated, self.real) = (attribute, captions, generated, real)
            (self.uniformChance, self.majorityChance, self.majorityValue, self.byValue) = (uniformChance, majorityChance, majorityValue, byValue)
        }

        enum CodingKeys: String, CodingKey {
            case attribute, captions, generated, real, uniformChance = "uniform_chance", majorityChance = "majority_chance", majorityValue = "majority_value"
            case byValue = "by_value"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(attribute: try c.decode(FlowerAttribute.self, forKey: .attribute), captions: try c.decode(Int.self, forKey: .captions),
                      generated: try c.decode([Double].self, forKey: .generated), real: try c.decode(Double.self, forKey: .real),
                      uniformChance: try c.decode(Double.self, forKey: .uniformChance), majorityChance: try c.decode(Double.self, forKey: .majorityChance),
                      majorityValue: try c.decode(String.self, forKey: .majorityValue),
                      byValue: try c.decodeIfPresent([ValueScore].self, forKey: .byValue) ?? [])
        }
    }

    /// One value of an attribute (say, petal colour blue): how many captions state it, the accuracy of the generated
    /// images at each size, and how often each value was read from them instead ("none" when nothing matched).
    public struct ValueScore: Sendable, Equatable, Codable {
        public var value: String
        public var captions: Int
        public var generated: [Double]
        /// Per image size: value read → number of images.
        public var measured: [[String: Int]]

        /// "blue 97, purple 13, …": what the images at the last size were read as, most often first.
        public var lastSizeReadAs: String {
            (measured.last ?? [:]).sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
    }

    public var imageSizes: [Int]
    /// Test captions (one generated image per caption and stage).
    public var captions: Int
    public var attributes: [AttributeScore]
    public var sen: DemoPipeline.SENSummary?
    public var generatedRecall: Retrieval.Recall
    public var realRecall: Retrieval.Recall

    enum CodingKeys: String, CodingKey {
        case imageSizes = "image_sizes", captions, attributes, sen, generatedRecall = "generated_recall", realRecall = "real_recall"
    }

    public func score(_ attribute: FlowerAttribute) -> AttributeScore? { attributes.first { $0.attribute == attribute } }

    public static func read(from url: URL) throws -> DemoEvaluation {
        do { return try JSONDecoder().decode(DemoEvaluation.self, from: readFileBytes(url)) } catch let error as any S2IGANError { throw error } catch {
            throw DemoError.file(path: url.path, reason: "not a demo evaluation (\(readableDescription(of: error)))")
        }
    }

    public func write(to url: URL) throws { try writeFileAtomically(try JSONEncoder.sorted.encode(self), to: url) }

    /// One line per result, for the console.
    public func summaryLines() -> [String] {
        var lines: [String] = []
        for s in attributes {
            let generated = zip(imageSizes, s.generated).map { String(format: "%d px %.1f %%", $0, 100 * $1) }.joined(separator: ", ")
            lines.append(String(format: "%@ (%d captions): generated %@; real images %.1f %%; chance %.1f %% (uniform) / %.1f %% (always %@)",
                                s.attribute.rawValue, s.captions, generated, 100 * s.real, 100 * s.uniformChance, 100 * s.majorityChance, s.majorityValue))
            // Petal colour, the demo's target, value by value, with what the last size was read as.
            guard s.attribute == .color else { continue }
            for v in s.byValue {
                let accuracies = zip(imageSizes, v.generated).map { String(format: "%d px %.1f %%", $0, 100 * $1) }.joined(separator: ", ")
                lines.append("  \(v.value) (\(v.captions) captions): \(accuracies); \(imageSizes.last ?? 0) px read as \(v.lastSizeReadAs)")
            }
        }
        if let sen {
            lines.append(String(format: "SEN %@ on the held-out classes: %.3f (chance %.3f)", sen.metricName, sen.bestMetric ?? .nan, sen.chance))
        }
        for (name, r) in [("generated", generatedRecall), ("real", realRecall)] {
            let values = r.ks.indices.map { String(format: "R@%d %.3f/%.3f", r.ks[$0], r.speechToImage[$0], r.imageToSpeech[$0]) }.joined(separator: ", ")
            lines.append("\(name) images vs their captions through the SEN (speech→image/image→speech): \(values)")
        }
        return lines
    }

    /// Measures the pipeline's generated images (``DemoPipeline/Stage/generate`` must have run).
    public static func compute(pipeline p: DemoPipeline) throws -> DemoEvaluation {
        let sizes = p.configuration.gan.architecture.imageSizes
        return try compute(dataRoot: p.dataRoot, senRun: p.senFolder, generated: p.generatedFolder, imageSizes: sizes, sen: p.state.sen)
    }

    /// Measures generated test images of a spoken-flowers dataset at `dataRoot`: `generated` holds
    /// `<key>_<size>_sentence<i>.png` for every test caption at each of `imageSizes` (`s2igan gan generate
    /// --all-stages --keep-last`); `senRun` is the SEN run with `speech_embeddings_test.safetensors` beside its
    /// `models/`.
    /// `split` `.train` scores the training captions instead (whether the conditioning was learned at all, apart
    /// from whether it carries over to the held-out classes).
    public static func compute(dataRoot: URL, senRun: URL, generated: URL, imageSizes sizes: [Int], sen: DemoPipeline.SENSummary?,
                               split: DatasetSplit = .test) throws -> DemoEvaluation {
        guard !sizes.isEmpty else { throw DemoError.invalidInput("demo evaluation: no image sizes given") }
        let manifest = try SpokenFlowers.readManifest(root: dataRoot)
        let test = try SpokenImageDataset.open(kind: .spokenFlowers, root: dataRoot, split: split)
        let flowers = Dictionary(manifest.images.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let embeddings = try SpeechEmbeddings.read(split: split.rawValue, in: senRun)
        guard embeddings.count == test.count else {
            throw DemoError.file(path: senRun.path, reason: "holds \(split.rawValue) embeddings of \(embeddings.count) images, the split has \(test.count)")
        }

        // Every test caption: its flower, its text, its speech embedding.
        var pairs: [(key: String, caption: Int, image: SpokenFlowers.Image, index: Int)] = []
        var speechRows: [Tensor] = []
        for (i, item) in test.items.enumerated() {
            guard let image = flowers[item.key] else {
                throw DemoError.file(path: dataRoot.appendingPathComponent(SpokenFlowers.manifestName).path, reason: "no entry for image \(item.key)")
            }
            for c in 0..<min(embeddings[i].shape[0], image.captions.count) {
                pairs.append((item.key, c, image, i))
                speechRows.append(try embeddings[i].slice(axis: 0, start: c, end: c + 1))
            }
        }
        guard !pairs.isEmpty else { throw DemoError.invalidInput("demo evaluation: the \(split.rawValue) split has no captions") }

        // Measurements: generated images at every size, real images once per test image.
        var measuredGenerated = [[MeasuredFlower]](repeating: [], count: sizes.count)
        var generatedLast: [RGBImage] = []
        for (k, size) in sizes.enumerated() {
            let urls = pairs.map { generated.appendingPathComponent(RDGGeneration.fileName(key: $0.key, size: size, caption: $0.caption)) }
            let pictures = try urls.map { try RGBImage.read($0) }
            measuredGenerated[k] = measureAll(pictures)
            if k == sizes.count - 1 { generatedLast = pictures }
        }
        let realImages = try test.items.map { try test.image(of: $0) }
        let measuredReal = measureAll(realImages)

        var scores: [AttributeScore] = []
        for attribute in FlowerAttribute.allCases {
            let stated = pairs.indices.filter { attribute.isMentioned(in: pairs[$0].image.captions[pairs[$0].caption], of: pairs[$0].image.flower) }
            guard !stated.isEmpty else { continue }
            func accuracy(_ measured: (Int) -> MeasuredFlower) -> Double {
                Double(stated.filter { measured($0).matches(pairs[$0].image.flower, on: attribute) }.count) / Double(stated.count)
            }
            var tally: [String: Int] = [:]
            for i in stated { tally[attribute.value(of: pairs[i].image.flower), default: 0] += 1 }
            guard let majority = tally.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) else { continue }
            let byValue = tally.keys.sorted().map { value -> ValueScore in
                let captions = stated.filter { attribute.value(of: pairs[$0].image.flower) == value }
                var measured = [[String: Int]](repeating: [:], count: sizes.count)
                var correct = [Int](repeating: 0, count: sizes.count)
                for k in sizes.indices {
                    for i in captions {
                        let read = attribute.value(of: measuredGenerated[k][i]) ?? "none"
                        measured[k][read, default: 0] += 1
                        if read == value { correct[k] += 1 }
                    }
                }
                return ValueScore(value: value, captions: captions.count, generated: correct.map { Double($0) / Double(captions.count) }, measured: measured)
            }
            scores.append(AttributeScore(attribute: attribute, captions: stated.count,
                                         generated: sizes.indices.map { k in accuracy { measuredGenerated[k][$0] } },
                                         real: accuracy { measuredReal[pairs[$0].index] },
                                         uniformChance: 1 / Double(attribute.valueCount),
                                         majorityChance: Double(majority.value) / Double(stated.count), majorityValue: majority.key,
                                         byValue: byValue))
        }

        // R@k through the SEN's image encoder.
        let encoder = try SENModel.loadImageEncoder(fromRun: senRun, inceptionWeights: nil)
        encoder.eval()
        let speech = try Tensor.concatenate(speechRows, axis: 0)
        func embed(_ pictures: [RGBImage]) throws -> Tensor {
            try GradientMode.withoutGradient {
                var rows: [Tensor] = []
                for start in stride(from: 0, to: pictures.count, by: 32) {
                    let batch = Array(pictures[start..<min(start + 32, pictures.count)])
                    rows.append(try encoder(Variable(encoder.prepare(batch))).value)
                }
                return try Tensor.concatenate(rows, axis: 0)
            }
        }
        let generatedRecall = try Retrieval.recall(speech: speech, image: embed(generatedLast), ks: [1, 5, 10])
        // Each real image once, its row repeated for each of its captions.
        let realRows = try embed(realImages)
        let realPerCaption = try Tensor.concatenate(pairs.map { try realRows.slice(axis: 0, start: $0.index, end: $0.index + 1) }, axis: 0)
        let realRecall = try Retrieval.recall(speech: speech, image: realPerCaption, ks: [1, 5, 10])
        return DemoEvaluation(imageSizes: sizes, captions: pairs.count, attributes: scores, sen: sen,
                              generatedRecall: generatedRecall, realRecall: realRecall)
    }

    /// Measurements of many pictures on every core.
    static func measureAll(_ pictures: [RGBImage]) -> [MeasuredFlower] {
        guard !pictures.isEmpty else { return [] }
        var results = [MeasuredFlower](repeating: MeasuredFlower(), count: pictures.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallel.forRanges(pictures.count, cost: 100_000) { range in
                for i in range { base[i] = FlowerMeasurement.measure(pictures[i]) }
            }
        }
        return results
    }
}
