/// What the harness needs of a trainer's configuration: the epoch count, a YAML form for `config.yml`, and which
/// settings a resumed run may change.
public protocol TrainingRunConfiguration: Codable, Sendable, Equatable {
    /// Epochs of the whole run, numbered 0 … epochs − 1.
    var epochs: Int { get }
    /// The configuration as YAML, as `config.yml` holds it and ``ConfigurationOverlay`` reads it back.
    func yaml() throws -> String
    /// `self` (the configuration a checkpoint was made with) with the settings that a resume may change taken
    /// from `current`; the resume is allowed when the result equals `current`. Settings that only change how fast
    /// a run goes (worker threads) belong here; anything that changes the numbers does not.
    func adoptingResumableSettings(of current: Self) -> Self
}
