/// What the harness needs of one epoch's log entry: its number and how long it took. Each trainer's record
/// (`SENEpochRecord`, `RDGEpochRecord`) adds its own losses and flags.
///
/// Epochs are numbered from 0, in every trainer, log, checkpoint and file name: epoch `e` is the (e + 1)-th
/// pass over the training split, and a run of `epochs: N` runs epochs 0 … N − 1.
public protocol TrainingEpochRecord: Codable, Sendable, Equatable {
    /// The 0-based epoch number. Settable so that logs of runs numbered otherwise can be renumbered on resume.
    var epoch: Int { get set }
    /// Wall time of the epoch, for the ETA.
    var seconds: Double { get }
}
