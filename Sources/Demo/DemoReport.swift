import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// The demo's report: `report.html`, which opens from disk with no server (every image and recording is a
/// relative link into the output folder), and the same content as pictures in `report/` for readers who do not
/// open HTML: `samples.png` (rows of test captions: the real image, then the generated images of every stage,
/// all at 128 px), `curves_sen.png`, `curves_discriminators.png`, `curves_generator.png`.
public enum DemoReport {
    /// Files in `report/`.
    public static let folderName = "report"

    /// One test caption shown in the report.
    public struct Sample: Sendable, Equatable {
        public var key: String
        public var caption: Int
        public var text: String
        public var flower: Flower
        /// Relative to the output folder.
        public var wav: String
        public var real: String
        public var generated: [String]
        public var measuredColor: FlowerColor?
    }

    /// A chart with its legend.
    struct Chart {
        var file: String
        var title: String
        var plot: LinePlot
        var note: String
    }

    /// Writes the report of a pipeline whose evaluation has run.
    public static func write(pipeline p: DemoPipeline) throws {
        let evaluation = try DemoEvaluation.read(from: p.evaluationFile)
        let folder = p.output.appendingPathComponent(folderName)
        try createFolder(folder)
        let samples = try chooseSamples(pipeline: p, sizes: evaluation.imageSizes)
        try writeSampleGrid(samples, output: p.output, to: folder.appendingPathComponent("samples.png"))
        let charts = try curves(pipeline: p)
        for chart in charts { try chart.plot.render().write(to: folder.appendingPathComponent(chart.file)) }
        let html = page(pipeline: p, evaluation: evaluation, samples: samples, charts: charts)
        try writeFileAtomically(Data(html.utf8), to: p.reportFile)
    }

    /// `count` test captions spread over the test images, cycling through caption numbers.
    static func chooseSamples(pipeline p: DemoPipeline, sizes: [Int]) throws -> [Sample] {
        let manifest = try SpokenFlowers.readManifest(root: p.dataRoot)
        let test = try SpokenImageDataset.open(kind: .spokenFlowers, root: p.dataRoot, split: .test)
        let images = Dictionary(manifest.images.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let n = min(p.configuration.reportSamples, test.count)
        return try (0..<n).map { s in
            let item = test.items[s * test.count / n]
            guard let image = images[item.key], !image.captions.isEmpty else {
                throw DemoError.file(path: p.dataRoot.path, reason: "the manifest has no captions for test image \(item.key)")
            }
            let c = s % image.captions.count
            let generated = sizes.map { "generated/" + RDGGeneration.fileName(key: item.key, size: $0, caption: c) }
            let last = try RGBImage.read(p.output.appendingPathComponent(generated[generated.count - 1]))
            return Sample(key: item.key, caption: c, text: image.captions[c], flower: image.flower,
                          wav: "data/Oxford102/audio/\(item.key)/\(c).wav", real: relativePath(item.image, to: p.output),
                          generated: generated, measuredColor: FlowerMeasurement.measure(last).color)
        }
    }

    /// `url`'s path relative to `base` (which must contain it).
    static func relativePath(_ url: URL, to base: URL) -> String {
        let path = url.standardizedFileURL.path, root = base.standardizedFileURL.path
        return path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    static func writeSampleGrid(_ samples: [Sample], output: URL, to url: URL) throws {
        var tensors: [Tensor] = []
        for s in samples {
            for file in [s.real] + s.generated {
                let image = try RGBImage.read(output.appendingPathComponent(file))
                let sized = image.width == 128 && image.height == 128 ? image : try image.resized(width: 128, height: 128)
                tensors.append(sized.tensor())
            }
        }
        guard let columns = samples.first.map({ 1 + $0.generated.count }) else { return }
        try ImageGrid.save(try Tensor.stack(tensors, axis: 0), to: url, columns: columns, padding: 4, padValue: 1)
    }

    // MARK: - Curves

    static func readLines<T: Decodable>(_ url: URL, as type: T.Type) throws -> [T] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text = String(decoding: try readFileBytes(url), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            do { return try JSONDecoder().decode(T.self, from: Data(line.utf8)) } catch {
                throw DemoError.file(path: url.path, reason: "unreadable log line (\(readableDescription(of: error)))")
            }
        }
    }

    static func curves(pipeline p: DemoPipeline) throws -> [Chart] {
        let colors = LinePlot.palette.map(\.color)
        var charts: [Chart] = []
        let sen = try readLines(p.senFolder.appendingPathComponent("log.jsonl"), as: SENEpochRecord.self)
        if !sen.isEmpty {
            charts.append(Chart(file: "curves_sen.png", title: "SEN training: loss per epoch and validation mAP", plot: LinePlot(series: [
                LinePlot.Series(name: "matching loss", values: sen.map(\.matchingLoss), color: colors[0]),
                LinePlot.Series(name: "distinctive loss", values: sen.map(\.distinctiveLoss), color: colors[1]),
                LinePlot.Series(name: "validation mAP × 10", values: sen.map { $0.metric.map { 10 * $0 } }, color: colors[2]),
            ]), note: "x: epochs 0–\(sen.count - 1)"))
        }
        let gan = try readLines(p.ganFolder.appendingPathComponent("log.jsonl"), as: RDGEpochRecord.self)
        if let first = gan.first {
            let stages = first.losses.discriminators.count
            var dSeries = (0..<stages).map { k in
                LinePlot.Series(name: "D\(k) (\(64 << k) px)", values: gan.map { Double($0.losses.discriminators[k]) }, color: colors[k])
            }
            dSeries.append(LinePlot.Series(name: "relation supervisor", values: gan.map { Double($0.losses.relation) }, color: colors[stages]))
            charts.append(Chart(file: "curves_discriminators.png", title: "RDG: discriminator and relation-supervisor losses (mean per epoch)",
                                plot: LinePlot(series: dSeries), note: "x: epochs 0–\(gan.count - 1)"))
            var gSeries = (0..<stages).map { k in
                LinePlot.Series(name: "G adversarial, \(64 << k) px", values: gan.map { Double($0.losses.generatorAdversarial[k]) }, color: colors[k])
            }
            gSeries.append(LinePlot.Series(name: "G relation", values: gan.map { Double($0.losses.generatorRelation) }, color: colors[stages]))
            gSeries.append(LinePlot.Series(name: "KL × 100", values: gan.map { 100 * Double($0.losses.kl) }, color: colors[stages + 1]))
            charts.append(Chart(file: "curves_generator.png", title: "RDG: generator losses (mean per epoch)",
                                plot: LinePlot(series: gSeries), note: "x: epochs 0–\(gan.count - 1)"))
        }
        return charts
    }

    // MARK: - HTML

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A path for an HTML attribute: each segment percent-encoded.
    static func link(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
        }.joined(separator: "/")
    }

    static func percent(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }

    static func page(pipeline p: DemoPipeline, evaluation e: DemoEvaluation, samples: [Sample], charts: [Chart]) -> String {
        let c = p.configuration, state = p.state
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>S2IGAN-Swift demo report</title>
        <style>
        body { font-family: sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; }
        th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: middle; }
        th { background: #f2f2f2; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        img.sample { width: 128px; height: 128px; image-rendering: pixelated; }
        figure { display: inline-block; margin: 0.5em 1em 1em 0; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
        .ok { color: #1a7f37; } .miss { color: #b42318; }
        </style>
        </head>
        <body>
        <h1>Speech to image on the built-in spoken-flowers data</h1>
        <p>S2IGAN-Swift's demo: a speech embedding network (SEN) and a relation-supervised densely stacked GAN (RDG)
        trained from scratch on \(c.dataset.classes) classes of synthetic flowers (\(c.dataset.imagesPerClass) images each,
        \(c.dataset.captionsPerImage) captions per image spoken by espeak-ng), then asked to draw the held-out test
        classes from their spoken captions. Total stage time \(DemoPipeline.duration(state.seconds)) against a budget of
        \(DemoPipeline.duration(c.budgetMinutes * 60)); the RDG trained \(state.ganPlan.map(DemoPipeline.describe) ?? "no epochs") (\(c.gan.architecture.stages)
        stages, \(c.gan.architecture.imageSizes.map { "\($0)" }.joined(separator: "/")) px, widths \(c.gan.architecture.generatorWidth)/\(c.gan.architecture.discriminatorWidth)\(c.gan.architecture.residualImages ? ", each stage drawing on the previous stage's image" : ""), batch \(c.gan.batchSize)).</p>

        <h2>Results on the \(e.captions) test captions</h2>
        <p>Attributes are read from the pixels of each generated image by matching every pixel to the renderer's
        paint colours (no learned model; <code>FlowerMeasurement</code>) and compared with the flower the caption
        describes, over the captions that state the attribute. "Real images" is the same measurement on the real
        test images: the ceiling of the method. Each test image is drawn from its caption's conditioning mean μ (as
        <code>s2igan say</code> does) with random noise z.</p>
        <table>
        <tr><th>attribute</th><th>captions stating it</th>
        """
        let sizeHeaders = e.imageSizes.map { "<th>generated \($0) px</th>" }.joined()
        // One table row: a name, a caption count, an accuracy per size, then further cells.
        func accuracyRow(_ name: String, _ captions: Int, _ accuracies: [Double], _ rest: String) -> String {
            "<tr><td>\(escape(name))</td><td class=\"num\">\(captions)</td>"
                + accuracies.map { "<td class=\"num\">\(percent($0))</td>" }.joined() + rest + "</tr>\n"
        }
        h += sizeHeaders + "<th>real images</th><th>chance (uniform)</th><th>chance (best constant guess)</th></tr>\n"
        for s in e.attributes {
            h += accuracyRow(s.attribute.rawValue, s.captions, s.generated,
                             "<td class=\"num\">\(percent(s.real))</td><td class=\"num\">\(percent(s.uniformChance))</td>"
                                 + "<td class=\"num\">\(percent(s.majorityChance)) (\(escape(s.majorityValue)))</td>")
        }
        h += "</table>\n"
        if let colour = e.score(.color), !colour.byValue.isEmpty {
            let last = e.imageSizes.last ?? 0
            h += "<p>Petal colour, colour by colour (what the \(last)-px images were read as):</p>\n<table>\n<tr><th>petal colour</th><th>captions</th>"
            h += sizeHeaders + "<th>\(last) px read as</th></tr>\n"
            for v in colour.byValue { h += accuracyRow(v.value, v.captions, v.generated, "<td>\(escape(v.lastSizeReadAs))</td>") }
            h += "</table>\n"
        }
        if let sen = e.sen {
            h += "<p>SEN retrieval on the held-out classes (speech → image \(escape(sen.metricName)), the reference's validation metric): "
            h += "<b>\(sen.bestMetric.map { String(format: "%.3f", $0) } ?? "not measured")</b>"
            h += "\(sen.bestEpoch.map { " at epoch \($0)" } ?? ""); chance \(String(format: "%.3f", sen.chance)).</p>\n"
        }
        h += """
        <p>Recall of generated images against their own captions through the SEN (caption i and the image generated
        from it form pair i; \(e.captions) pairs); the real image of each caption as a reference.</p>
        <table>
        <tr><th>images</th>
        """
        for k in e.generatedRecall.ks { h += "<th>speech → image R@\(k)</th>" }
        for k in e.generatedRecall.ks { h += "<th>image → speech R@\(k)</th>" }
        h += "</tr>\n"
        for (name, r) in [("generated (\(e.imageSizes.last ?? 0) px)", e.generatedRecall), ("real", e.realRecall)] {
            h += "<tr><td>\(name)</td>"
            for v in r.speechToImage + r.imageToSpeech { h += "<td class=\"num\">\(String(format: "%.3f", v))</td>" }
            h += "</tr>\n"
        }
        h += "</table>\n<p>Chance R@k is k / \(e.captions).</p>\n"

        h += "<h2>Samples</h2>\n<p>Also as one picture: <a href=\"report/samples.png\">report/samples.png</a> (real, then "
        h += e.imageSizes.map { "\($0) px" }.joined(separator: ", ") + ", per row).</p>\n<table>\n<tr><th>spoken caption</th><th>real</th>"
        for size in e.imageSizes { h += "<th>\(size) px</th>" }
        h += "<th>petal colour read from the \(e.imageSizes.last ?? 0) px image</th></tr>\n"
        for s in samples {
            h += "<tr><td>\(escape(s.text))<br><audio controls preload=\"none\" src=\"\(link(s.wav))\"></audio></td>"
            h += "<td><img class=\"sample\" src=\"\(link(s.real))\" alt=\"real image \(escape(s.key))\"></td>"
            for (size, file) in zip(e.imageSizes, s.generated) {
                h += "<td><img class=\"sample\" src=\"\(link(file))\" alt=\"generated \(size) px\"></td>"
            }
            let measured = s.measuredColor?.name ?? "none"
            let ok = s.measuredColor == s.flower.color
            h += "<td class=\"\(ok ? "ok" : "miss")\">\(measured) \(ok ? "✓" : "✗ (caption: \(s.flower.color.name))")</td></tr>\n"
        }
        h += "</table>\n"

        h += "<h2>Training curves</h2>\n"
        for chart in charts {
            let r = chart.plot.range
            h += "<figure><img src=\"report/\(chart.file)\" alt=\"\(escape(chart.title))\" width=\"\(chart.plot.width)\" height=\"\(chart.plot.height)\">"
            h += "<figcaption>\(escape(chart.title))<br>"
            for (k, s) in chart.plot.series.enumerated() {
                h += "<span class=\"swatch\" style=\"background:\(LinePlot.palette[k % LinePlot.palette.count].css)\"></span>\(escape(s.name)) "
            }
            h += "<br>\(escape(chart.note)); y from \(String(format: "%.3g", r.low)) (bottom) to \(String(format: "%.3g", r.high)) (top)</figcaption></figure>\n"
        }
        if let snapshot = latestSnapshot(in: p.ganFolder.appendingPathComponent("images")) {
            h += "<h3>Last training snapshot (fixed noise, moving-average generator)</h3>\n"
            h += "<p><img src=\"\(link("gan/images/" + snapshot))\" alt=\"training snapshot\" style=\"max-width: 100%\"></p>\n"
        }

        h += "<h2>Timings</h2>\n<table>\n<tr><th>stage</th><th>time</th></tr>\n"
        for stage in DemoPipeline.Stage.allCases {
            if let record = state.stages[stage.rawValue] {
                h += "<tr><td>\(escape(stage.title))\(record.resumed ? " (resumed; last run only)" : "")</td><td class=\"num\">\(DemoPipeline.duration(record.seconds))</td></tr>\n"
            } else if stage == .report {
                h += "<tr><td>\(escape(stage.title))</td><td class=\"num\">—</td></tr>\n"
            }
        }
        h += "</table>\n"
        h += "<p>Everything is in this folder: <code>data/</code>, <code>sen/</code>, <code>gan/</code>, <code>generated/</code>, "
        h += "<code>evaluation.json</code>, <code>demo.json</code> (configuration, stage times).</p>\n</body>\n</html>\n"
        return h
    }

    /// The newest `epoch_<N>_fake_samples<last stage>.png` in a run's `images/`.
    static func latestSnapshot(in folder: URL) -> String? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("epoch_") && $0.contains("_fake_samples") }
        return names.max { ($0.count, $0) < ($1.count, $1) }
    }
}
