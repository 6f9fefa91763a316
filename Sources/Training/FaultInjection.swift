import Foundation

/// A fault planted in a training run to test how a data-parallel job ends (a test hook, off unless the environment
/// variable `S2IGAN_FAULT` is set): `S2IGAN_FAULT=<kind>@<rank>:<iteration>` makes rank `<rank>` at its global
/// iteration `<iteration>` (counted from the first iteration this process runs, from 0)
/// - `nan`: train on NaN inputs, so the real non-finite-loss check stops it;
/// - `hang`: stop making progress (sleep) without exiting;
/// - `die`: kill itself (SIGKILL), as a crashed or killed process.
public struct FaultInjection: Sendable, Equatable {
    public enum Kind: String, Sendable { case nan, hang, die }
    public var kind: Kind
    public var rank: Int
    public var iteration: Int

    public static let variable = "S2IGAN_FAULT"

    /// The fault the environment plants, if any; a malformed value is an error naming it.
    public static func fromEnvironment() throws -> FaultInjection? {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return nil }
        let parts = text.split(separator: "@", maxSplits: 1)
        let place = parts.count == 2 ? parts[1].split(separator: ":", maxSplits: 1) : []
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])), place.count == 2,
              let rank = Int(place[0]), let iteration = Int(place[1]), rank >= 0, iteration >= 0 else {
            throw TrainingError.invalidConfiguration("\(variable)='\(text)': expected <nan|hang|die>@<rank>:<iteration>")
        }
        return FaultInjection(kind: kind, rank: rank, iteration: iteration)
    }

    /// Whether the fault strikes `rank` at `iteration`; `hang` and `die` strike here and never return.
    public func strikes(rank: Int, iteration: Int) -> Bool {
        guard rank == self.rank, iteration == self.iteration else { return false }
        switch kind {
        case .nan: return true
        case .hang: while true { Thread.sleep(forTimeInterval: 3600) }
        case .die: kill(getpid(), SIGKILL); while true { Thread.sleep(forTimeInterval: 1) }
        }
    }
}
