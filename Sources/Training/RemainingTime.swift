/// The time a run still needs: each remaining epoch at the mean time of the last (up to three) finished epochs of
/// the same phase. A phase is what makes epochs cost differently (the number of GAN stages that train); a run
/// without phases has one. A phase not reached yet has no timed epochs; its epochs count at the rate of the latest
/// phase, which is then a lower bound if later phases cost more (``lowerBound``, shown with "≥").
public struct RemainingTime: Sendable, Equatable {
    public var seconds: Double
    public var lowerBound: Bool

    public init(seconds: Double, lowerBound: Bool) {
        (self.seconds, self.lowerBound) = (seconds, lowerBound)
    }

    /// The estimate after the finished `records` of a run of `epochs` epochs (numbered from 0); `phase` maps an
    /// epoch to its phase.
    public static func estimate<Record: TrainingEpochRecord>(after records: [Record], epochs: Int,
                                                             phase: (Int) -> Int = { _ in 0 }) -> RemainingTime {
        guard let last = records.last else { return RemainingTime(seconds: 0, lowerBound: false) }
        var rates: [Int: Double] = [:]
        for p in Set(records.map { phase($0.epoch) }) {
            let recent = records.filter { phase($0.epoch) == p }.suffix(3)
            rates[p] = recent.map(\.seconds).reduce(0, +) / Double(recent.count)
        }
        let latest = rates[phase(last.epoch)] ?? last.seconds
        var seconds = 0.0, lowerBound = false
        for epoch in (last.epoch + 1)..<max(last.epoch + 1, epochs) {
            if let rate = rates[phase(epoch)] {
                seconds += rate
            } else {
                seconds += latest
                lowerBound = true
            }
        }
        return RemainingTime(seconds: seconds, lowerBound: lowerBound)
    }

    /// The estimate as a table cell: two spaces, or " ≥" before a lower bound, then the ``duration(_:)``.
    public var cell: String { (lowerBound ? " ≥" : "  ") + Self.duration(seconds) }

    /// "12m05s" below an hour, "3h07m" from one hour on.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h" + twoDigits((s % 3600) / 60) + "m" : "\(s / 60)m" + twoDigits(s % 60) + "s"
    }

    static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
