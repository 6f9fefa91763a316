import Foundation
import S2IGANTensor
import Testing

@Suite struct ProgressReporterTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        var all: [String] { lock.withLock { stored } }
        func append(_ line: String) { lock.withLock { stored.append(line) } }
    }

    /// A line at the start, at every tenth passed and at the end; each label counts on its own.
    @Test func linesComeEveryTenthPerLabel() {
        let lines = Lines()
        let progress = ProgressReporter(lines: lines.append)
        for done in 0...25 { progress.report("images", done, 25) }
        #expect(lines.all == ["images 0/25", "images 3/25", "images 5/25", "images 8/25", "images 10/25", "images 13/25", "images 15/25",
                              "images 18/25", "images 20/25", "images 23/25", "images 25/25"])
        let other = Lines()
        let stages = ProgressReporter(lines: other.append)
        stages.report("train captions", 1, 2)
        stages.report("test captions", 1, 3)
        stages.callback("train captions")(2, 2)
        stages.report("train captions", 2, 2)
        stages.report("empty", 0, 0)
        #expect(other.all == ["train captions 1/2", "test captions 1/3", "train captions 2/2"])
    }

    /// Reports from many threads give each tenth once.
    @Test func concurrentReportsShowEachTenthOnce() {
        let lines = Lines()
        let progress = ProgressReporter(lines: lines.append)
        DispatchQueue.concurrentPerform(iterations: 1000) { progress.report("items", $0 + 1, 1000) }
        let shown = lines.all
        #expect(Set(shown).count == shown.count && shown.count <= 11 && shown.contains("items 1000/1000"))
    }
}
