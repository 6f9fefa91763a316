import S2IGANTensor

/// A loss that became NaN or infinite. Training steps throw it before any optimiser steps with the value, and
/// ``TrainingRun`` turns it into the error that stops the run, naming the epoch and the iteration.
public struct NonFiniteLoss: S2IGANError, Equatable, Sendable {
    /// Which loss ("discriminator 0", "generator", "SEN").
    public var name: String
    public var value: Float

    /// Whether `name` is a parameter whose gradient, not a loss, became non-finite.
    public var isGradient = false

    public init(name: String, value: Float) {
        (self.name, self.value) = (name, value)
    }

    /// The gradient of parameter `name` became `value` (a loss can stay finite while a gradient does not).
    public init(gradientOf name: String, value: Float) {
        (self.name, self.value, isGradient) = (name, value, true)
    }

    public var description: String { isGradient ? "the gradient of '\(name)' became \(value)" : "the \(name) loss became \(value)" }

    /// `value` if it is finite; otherwise throws naming the loss.
    @discardableResult
    public static func check(_ value: Float, _ name: String) throws -> Float {
        guard value.isFinite else { throw NonFiniteLoss(name: name, value: value) }
        return value
    }
}
