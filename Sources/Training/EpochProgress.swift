import Foundation

/// The clock and iteration count of the epoch that is running. The trainer calls ``finishIteration(of:)`` after
/// each iteration; every ``reportEvery`` iterations a progress line goes to the run's report, and when a loss is
/// not finite ``TrainingRun`` names the iteration it happened in.
public final class EpochProgress {
    public let epoch: Int
    /// Iterations finished in this epoch; while one runs, also its 0-based number.
    public private(set) var iteration = 0
    public let started = Date()
    /// Iterations between progress lines.
    public static let reportEvery = 50
    let report: (String) -> Void

    init(epoch: Int, report: @escaping (String) -> Void) {
        (self.epoch, self.report) = (epoch, report)
    }

    /// Seconds since the epoch started.
    public var seconds: Double { Date().timeIntervalSince(started) }

    /// Counts an iteration of the `total` of this epoch.
    public func finishIteration(of total: Int) {
        iteration += 1
        if iteration % Self.reportEvery == 0 {
            report(String(format: "  epoch %d: %d/%d iterations, %.2f s/iteration", epoch, iteration, total, seconds / Double(iteration)))
        }
    }
}
