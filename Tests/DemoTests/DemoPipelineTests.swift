import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANMetrics
import S2IGANSEN
import S2IGANTensor
import TestSupport
import Testing
import S2IGANVision
@testable import S2IGANDemo

/// The demo end to end at a tiny size (4 classes, one epoch of each network): every stage's outputs exist and
/// are sane, the report links only to files that exist, an interrupted demo resumes, and `say` draws from the
/// trained model.
@Suite(.serialized) struct DemoPipelineTests {
    /// Every `src="…"` and `href="…"` of an HTML page, percent-decoded.
    static func references(in html: String) -> [String] {
        var found: [String] = []
        for attribute in ["src=\"", "href=\""] {
            var rest = html[...]
            while let start = rest.range(of: attribute) {
                let tail = rest[start.upperBound...]
                guard let end = tail.firstIndex(of: "\"") else { break }
                found.append(String(tail[..<end]).removingPercentEncoding ?? String(tail[..<end]))
                rest = tail[end...]
            }
        }
        return found
    }

    @Test func tinyDemoRunsEveryStageResumesAndReports() throws {
        let root = temporaryRoot("demo")
        defer { try? FileManager.default.removeItem(at: root) }
        let c = DemoConfiguration.tiny(workers: 2)
        let log = LockedLines()

        // An interrupted demo: the first call stops after the embeddings.
        let first = try DemoPipeline(configuration: c, output: root) { log.append($0) }
        #expect(try first.run(through: .embeddings) == nil)
        #expect(first.state.finished(.embeddings) && !first.state.finished(.gan))

        // Running again continues: the finished stages are not redone.
        let second = try DemoPipeline(configuration: c, output: root) { log.append($0) }
        let evaluation = try #require(try second.run())
        #expect(log.lines.contains { $0.contains("[2/7] training the speech embedding network: done earlier") })
        #expect(DemoPipeline.Stage.allCases.allSatisfy(second.state.finished))
        #expect(second.state.ganPlan == DemoConfiguration.GANPlan(epochs: 2, stageStartEpochs: [0, 1]))
        #expect(log.lines.contains { $0.contains("1 epoch with 1 stage training, 1 epoch with 2 stages training") })

        // Every stage's outputs.
        let fm = FileManager.default
        for path in ["data/spoken-flowers.json", "sen/models/best_audio_model.safetensors", "sen/models/best_image_model.safetensors",
                     "sen/speech_embeddings_test.safetensors", "sen/speech_embeddings_train.pickle", "gan/models/netG_0.safetensors",
                     "gan/log.jsonl", "evaluation.json", "report.html", "report/samples.png", "report/curves_sen.png",
                     "report/curves_discriminators.png", "report/curves_generator.png", "demo.json"] {
            #expect(fm.fileExists(atPath: root.appendingPathComponent(path).path), "\(path)")
        }
        let test = try SpokenImageDataset.open(kind: .spokenFlowers, root: root.appendingPathComponent("data"), split: .test)
        #expect(evaluation.captions == test.count * c.dataset.captionsPerImage)
        #expect(evaluation.imageSizes == [64, 128])
        for item in test.items {
            for size in [64, 128] {
                let file = root.appendingPathComponent("generated/" + RDGGeneration.fileName(key: item.key, size: size, caption: 1))
                let image = try RGBImage.read(file)
                #expect(image.width == size && image.height == size)
            }
        }
        let colour = try #require(evaluation.score(.color))
        #expect(colour.captions == evaluation.captions)
        #expect(colour.real == 1, "the measurement reads every real test image's petal colour")
        #expect(abs(colour.uniformChance - 1.0 / 7) < 1e-12)
        for s in evaluation.attributes {
            #expect(s.generated.count == 2 && (s.generated + [s.real, s.majorityChance]).allSatisfy { (0...1).contains($0) }, "\(s.attribute)")
            // Value by value: the captions add up, every image is read as something, and the accuracies weighted by
            // captions give the attribute's.
            #expect(s.byValue.map(\.captions).reduce(0, +) == s.captions, "\(s.attribute)")
            #expect(s.byValue.contains { $0.value == s.majorityValue && Double($0.captions) == s.majorityChance * Double(s.captions) })
            for k in 0..<2 {
                #expect(s.byValue.allSatisfy { $0.measured[k].values.reduce(0, +) == $0.captions && $0.generated[k] * Double($0.captions) == Double($0.measured[k][$0.value] ?? 0) })
                let weighted = s.byValue.map { $0.generated[k] * Double($0.captions) }.reduce(0, +) / Double(s.captions)
                #expect(abs(weighted - s.generated[k]) < 1e-9, "\(s.attribute) at size \(k)")
            }
        }
        for r in [evaluation.generatedRecall, evaluation.realRecall] {
            #expect(r.ks == [1, 5, 10] && r.speechToImage.allSatisfy { (0...1).contains($0) })
            #expect(r.speechToImage[2] == 1, "10 of 8 captions: every match is in the top 10")
        }
        #expect(evaluation == (try DemoEvaluation.read(from: root.appendingPathComponent("evaluation.json"))))
        // Evaluations written before the value-by-value breakdown still read, with none.
        var object = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(evaluation)) as? [String: Any])
        object["attributes"] = (object["attributes"] as? [[String: Any]])?.map { $0.filter { $0.key != "by_value" } }
        let older = root.appendingPathComponent("evaluation-older.json")
        try JSONSerialization.data(withJSONObject: object).write(to: older)
        let read = try DemoEvaluation.read(from: older)
        #expect(read.attributes.map(\.byValue.isEmpty) == evaluation.attributes.map { _ in true })
        #expect(read.attributes.map(\.generated) == evaluation.attributes.map(\.generated))

        // The report: every referenced file exists, and every sample row has its recording and images.
        let html = try String(contentsOf: root.appendingPathComponent("report.html"), encoding: .utf8)
        let links = Self.references(in: html)
        #expect(links.filter { $0.hasSuffix(".wav") }.count == c.reportSamples)
        #expect(links.filter { $0.hasPrefix("generated/") }.count == c.reportSamples * 2)
        #expect(links.contains("report/curves_generator.png"))
        for link in links { #expect(fm.fileExists(atPath: root.appendingPathComponent(link).path), "report links to missing \(link)") }
        #expect(html.contains("<audio controls") && html.contains("petal colour"))
        let grid = try RGBImage.read(root.appendingPathComponent("report/samples.png"))
        #expect(grid.width == 3 * 128 + 4 * 4 && grid.height == c.reportSamples * 128 + (c.reportSamples + 1) * 4)

        // A third run finds everything done.
        let third = try DemoPipeline(configuration: c, output: root)
        #expect(try third.run() == evaluation)

        // Another configuration is refused with the file named.
        var other = c
        other.budgetMinutes = 2
        #expect(throws: DemoError.self) { try DemoPipeline(configuration: other, output: root) }

        // Speech in, image out with the trained model.
        let system = try SpeechToImage(model: root)
        let wav = root.appendingPathComponent("say.wav")
        let images = try system.images(text: "this flower has four red petals", wav: wav)
        #expect(images.map(\.width) == [64, 128])
        #expect(fm.fileExists(atPath: wav.path))
        #expect(try system.images(wav: wav) == images, "the same recording and seed give the same image")
        #expect(throws: DemoError.self) { try SpeechToImage(model: root.appendingPathComponent("missing")) }
    }

    /// Reopening an interrupted demo removes what a killed atomic write left under its folder (its own state
    /// file's temporary, a generated image's), and reports each; a fresh folder is left as it is.
    @Test func reopeningADemoRemovesInterruptedWrites() throws {
        let root = temporaryRoot("demo-temporaries")
        defer { try? FileManager.default.removeItem(at: root) }
        let c = DemoConfiguration.tiny(workers: 1)
        try DemoPipeline(configuration: c, output: root).saveState()
        let leftovers = [".\(DemoPipeline.stateFile).tmp-999999999-0badcafe", "generated/epoch1/.a_256_sentence0.png.tmp-4242-00000001"]
        try FileManager.default.createDirectory(at: root.appendingPathComponent("generated/epoch1"), withIntermediateDirectories: true)
        for name in leftovers { try Data("partial".utf8).write(to: root.appendingPathComponent(name)) }
        let log = LockedLines()
        _ = try DemoPipeline(configuration: c, output: root) { log.append($0) }
        for name in leftovers {
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path), "\(name)")
            #expect(log.lines.contains { $0.contains(name) }, "\(name) is reported")
        }
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(DemoPipeline.stateFile).path))

        let fresh = temporaryRoot("demo-fresh")
        defer { try? FileManager.default.removeItem(at: fresh) }
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: fresh.appendingPathComponent(leftovers[0]))
        _ = try DemoPipeline(configuration: c, output: fresh)
        #expect(FileManager.default.fileExists(atPath: fresh.appendingPathComponent(leftovers[0]).path), "no demo there, nothing is touched")
    }

    @Test func budgetChoosesTheEpochs() {
        var c = DemoConfiguration.standard(budgetMinutes: 15)
        #expect(c.ganEpochs(secondsLeft: 600, epochSeconds: 50) == 12)
        #expect(c.ganEpochs(secondsLeft: 10, epochSeconds: 50) == 1)
        #expect(c.ganEpochs(secondsLeft: 1e6, epochSeconds: 50) == c.ganMaximumEpochs)
        c.ganMinimumEpochs = 3
        #expect(c.ganEpochs(secondsLeft: -5, epochSeconds: 50) == 3)
        #expect(throws: DemoError.self) { var bad = c; bad.budgetMinutes = 0; try bad.validate() }
        #expect(throws: DemoError.self) { var bad = c; bad.stageShares = [0.5, 0.6, 0]; try bad.validate() }
        #expect(throws: DemoError.self) { var bad = c; bad.stageShares = [1]; try bad.validate() }
    }

    /// A progressive plan: the later phases get their shares of the time, the first the rest; at least one
    /// epoch each; a plan over the maximum shrinks in proportion; without shares, every stage throughout.
    @Test func budgetPlansTheStageSchedule() {
        var c = DemoConfiguration.standard(budgetMinutes: 15)
        (c.stageShares, c.gan.epochs, c.ganMinimumEpochs) = ([0.5, 0.2, 0.3], 300, 1)
        let plan = c.ganPlan(secondsLeft: 600, epochSeconds: [6, 18, 45])
        // 0.3 · 600 / 45 → 4 epochs (180 s), 0.2 · 600 / 18 → 6 (108 s), the rest 312 s / 6 → 52.
        #expect(plan == DemoConfiguration.GANPlan(epochs: 62, stageStartEpochs: [0, 52, 58]))
        #expect(plan.phaseEpochs == [52, 6, 4] && DemoPipeline.describe(plan).hasPrefix("52 epochs with 1 stage training, 6 epochs"))
        #expect(c.ganPlan(secondsLeft: -10, epochSeconds: [6, 18, 45]).phaseEpochs == [1, 1, 1])
        c.gan.epochs = 31
        #expect(c.ganPlan(secondsLeft: 600, epochSeconds: [6, 18, 45]).phaseEpochs == [26, 3, 2])
        c.stageShares = nil
        #expect(c.ganPlan(secondsLeft: 600, epochSeconds: [0, 0, 50]) == DemoConfiguration.GANPlan(epochs: 12, stageStartEpochs: nil))
        #expect(DemoPipeline.duration(42) == "42.0 s" && DemoPipeline.duration(65) == "1 min 05 s")
    }

    @Test func linePlotDrawsItsSeriesInsideTheFrame() throws {
        let plot = LinePlot(series: [LinePlot.Series(name: "rising", values: [0, 1, 2, 3], color: CanvasColor(255, 0, 0)),
                                     LinePlot.Series(name: "gap", values: [3, nil, 1, 0], color: CanvasColor(0, 0, 255))], width: 100, height: 60)
        let range = plot.range
        #expect(range.points == 4 && abs(range.low + 0.15) < 1e-12 && abs(range.high - 3.15) < 1e-12, "\(range)")
        let image = try plot.render()
        #expect(image.width == 100 && image.height == 60)
        // The rising line starts at the bottom left and ends at the top right, in red.
        let start = image[8, 60 - 8 - 2], end = image[100 - 8, 8 + 2]
        #expect(start.red > 200 && start.green < 80, "\(start)")
        #expect(end.red > 200 && end.green < 80, "\(end)")
        // The blue series has no value at x = 1, so nothing joins its points at x = 0 and x = 2: where the line
        // would pass (x(1) = 36, y(2) ≈ 23) is white; between x = 2 and x = 3 it is drawn (at x = 78, y(0.5) ≈ 43).
        let blank = image[36, 23]
        #expect(blank.red == 255 && blank.green == 255 && blank.blue == 255, "\(blank)")
        let drawn = image[78, 43]
        #expect(drawn.blue > 200 && drawn.red < 80, "\(drawn)")
        #expect(throws: DemoError.self) { try LinePlot(series: [], width: 10, height: 10).render() }
    }

    @Test func reportLinksArePercentEncodedPaths() {
        #expect(DemoReport.link("data/a b/c#1.wav") == "data/a%20b/c%231.wav")
        #expect(Self.references(in: "<img src=\"a%20b.png\"><a href=\"c.html\">") == ["a b.png", "c.html"])
        #expect(DemoReport.relativePath(URL(fileURLWithPath: "/x/y/z.png"), to: URL(fileURLWithPath: "/x")) == "y/z.png")
        #expect(DemoReport.escape("<a & \"b\">") == "&lt;a &amp; &quot;b&quot;&gt;")
    }
}

/// Lines collected from progress callbacks on any thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}
