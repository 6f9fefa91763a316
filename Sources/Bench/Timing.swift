import Foundation

/// Timing shared by the benchmarks: warm-up, then the median of repeated runs, each repeated until
/// about `targetSeconds` have been timed (at least `minimumRuns`, at most 500).
public struct Timing: Sendable {
    public var targetSeconds: Double
    public var minimumRuns: Int

    public init(targetSeconds: Double = 0.4, minimumRuns: Int = 5) {
        (self.targetSeconds, self.minimumRuns) = (targetSeconds, minimumRuns)
    }

    /// The median time of `body` in milliseconds and the number of timed runs; `body` also runs twice before
    /// (a warm-up, and a probe that decides the number of runs).
    public func median(_ body: () throws -> Void) rethrows -> (milliseconds: Double, runs: Int) {
        try body()
        let probeStart = DispatchTime.now().uptimeNanoseconds
        try body()
        let probe = Double(DispatchTime.now().uptimeNanoseconds - probeStart) / 1e9
        let runs = Swift.max(minimumRuns, Swift.min(500, Int(targetSeconds / Swift.max(probe, 1e-6))))
        let times = try Timing.sortedMilliseconds(runs: runs, body)
        return (times[times.count / 2], runs)
    }

    /// The times of `runs` (at least one) runs of `body` in milliseconds, shortest first; no warm-up.
    public static func sortedMilliseconds(runs: Int, _ body: () throws -> Void) rethrows -> [Double] {
        var times: [Double] = []
        for _ in 0..<Swift.max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()
    }
}
