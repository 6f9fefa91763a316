import Foundation
import Testing
@testable import S2IGANTensor

@Suite struct ParallelTests {
    final class Visits: @unchecked Sendable {
        let lock = NSLock()
        var counts: [Int]
        var insideWorker = true
        init(_ n: Int) { counts = Array(repeating: 0, count: n) }
    }

    @Test(arguments: [(0, 3), (1, 3), (7, 2), (100, 5), (10, 64)])
    func forEachItemVisitsEveryItemOnce(_ count: Int, _ workers: Int) {
        let visits = Visits(count)
        Parallel.forEachItem(count, workers: workers) { i in
            visits.lock.lock()
            visits.counts[i] += 1
            if !Parallel.isInsideWorker { visits.insideWorker = false }
            visits.lock.unlock()
        }
        #expect(visits.counts == Array(repeating: 1, count: count))
        #expect(visits.insideWorker)
    }

    @Test func forEachItemRunsItemsAtTheSameTime() {
        // Four items that each wait (up to 10 s) for all four to have started: each sees the other three only if
        // four threads run them at once; run one after another, the first would give up seeing only itself.
        let started = Visits(2)
        Parallel.forEachItem(4, workers: 4) { _ in
            started.lock.lock(); started.counts[0] += 1; started.lock.unlock()
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                started.lock.lock(); let n = started.counts[0]; started.lock.unlock()
                if n == 4 { break }
                usleep(1000)
            }
            started.lock.lock()
            if started.counts[0] == 4 { started.counts[1] += 1 }
            started.lock.unlock()
        }
        #expect(started.counts[1] == 4)
    }
}
