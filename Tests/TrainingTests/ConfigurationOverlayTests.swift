import Foundation
import S2IGANTensor
import S2IGANTraining
import TestSupport
import Testing

/// A configuration with a nested mapping and an optional key, as the trainers' are.
struct OverlaidConfiguration: Codable, Equatable {
    struct Inner: Codable, Equatable {
        var width: Int
        var rates: [Float]
    }
    var name: String
    var inner: Inner
    var limit: Int?

    enum CodingKeys: String, CodingKey { case name, inner, limit }
}

@Suite struct ConfigurationOverlayTests {
    let base = OverlaidConfiguration(name: "base", inner: .init(width: 4, rates: [0.5, 0.25]), limit: nil)

    func apply(_ text: String) throws -> OverlaidConfiguration {
        try ConfigurationOverlay.apply(text, over: base, source: "x.yml", optionalKeys: ["limit"]) {
            if $0.inner.width < 1 { throw TensorError.invalidArgument("config: width must be at least 1, got \($0.inner.width)") }
        }
    }

    @Test func keysPresentReplaceTheBaseNestedKeyByKey() throws {
        #expect(try apply("inner:\n  width: 8\n") == OverlaidConfiguration(name: "base", inner: .init(width: 8, rates: [0.5, 0.25]), limit: nil))
        #expect(try apply("limit: 3\nname: other\n") == OverlaidConfiguration(name: "other", inner: base.inner, limit: 3))
        #expect(try apply("") == base)
        #expect(try apply("# only a comment\n") == base)
    }

    @Test func errorsNameTheFileAndTheProblem() throws {
        for (text, words) in [("nme: x", "config: unknown key 'nme' (known: inner, limit, name)"),
                              ("inner:\n  widht: 3", "unknown key 'inner.widht' (known: rates, width)"),
                              ("name: [1", "config: not valid YAML"),
                              ("- 1\n- 2", "config: the top level must be a mapping of keys to values"),
                              ("inner:\n  width: many", "config:"),
                              ("inner:\n  width: 0", "width must be at least 1, got 0")] {
            #expect(throws: TrainingError.self, "\(text)") { try apply(text) }
            #expect { try apply(text) } throws: { "\($0)".contains(words) && "\($0)".contains("x.yml") }
        }
    }

    @Test func filesAreReadAndUnreadableOnesNamed() throws {
        let folder = temporaryRoot("overlay")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("c.yml")
        try Data("inner:\n  rates: [1, 2]\n".utf8).write(to: file)
        #expect(try ConfigurationOverlay.apply(file: file, over: base).inner.rates == [1, 2])
        let missing = folder.appendingPathComponent("missing.yml")
        #expect { try ConfigurationOverlay.apply(file: missing, over: base) } throws: {
            "\($0)".contains(missing.path) && "\($0)".contains("config: cannot read")
        }
        #expect { try ConfigurationOverlay.apply(file: file, over: base) { _ in throw TensorError.invalidArgument("config: no") } } throws: {
            "\($0)".contains(file.path) && "\($0)".contains("config: no")
        }
    }
}

@Suite struct RemainingTimeTests {
    struct Epoch: TrainingEpochRecord {
        var epoch: Int
        var seconds: Double
    }

    /// Each remaining epoch at the mean of the last three of its phase; a phase not reached yet at the latest
    /// phase's rate, flagged as a lower bound.
    @Test func remainingEpochsAtTheirPhasesRate() {
        let records = [10.0, 12, 20, 50, 50].enumerated().map { Epoch(epoch: $0.offset, seconds: $0.element) }
        let phase = { (e: Int) in e < 2 ? 1 : e < 3 ? 2 : 3 }
        let eta = { (n: Int) in RemainingTime.estimate(after: Array(records.prefix(n)), epochs: 5, phase: phase) }
        #expect(eta(0) == RemainingTime(seconds: 0, lowerBound: false))
        #expect(eta(2) == RemainingTime(seconds: 33, lowerBound: true))
        #expect(eta(3) == RemainingTime(seconds: 40, lowerBound: true))
        #expect(eta(4) == RemainingTime(seconds: 50, lowerBound: false))
        #expect(eta(5) == RemainingTime(seconds: 0, lowerBound: false))
        #expect(RemainingTime.estimate(after: Array(records.prefix(4)), epochs: 5) == RemainingTime(seconds: (12 + 20 + 50) / 3, lowerBound: false))
        #expect(RemainingTime(seconds: 33, lowerBound: true).cell == " ≥0m33s")
        #expect(RemainingTime.duration(3 * 3600 + 7 * 60 + 20) == "3h07m" && RemainingTime.duration(725) == "12m05s")
    }
}
