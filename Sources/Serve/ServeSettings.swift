import Foundation

/// What `s2igan serve` accepts and how much work it queues: the limits that keep one slow or hostile client from
/// taking the server down. Every limit is checked before the model runs.
public struct ServeSettings: Sendable, Equatable {
    /// The address to bind (127.0.0.1: this machine only).
    public var host = "127.0.0.1"
    /// The port (0: any free port, reported when the server runs).
    public var port = 8080
    /// The largest request body, in bytes (a recording upload).
    public var maxUploadBytes = 8 << 20
    /// The longest recording, in seconds.
    public var maxAudioSeconds = 30.0
    /// The longest text to speak, in characters.
    public var maxTextCharacters = 400
    /// Requests waiting for the model beyond the one it is running; more get 503 with Retry-After.
    public var queueLimit = 8
    /// Seconds a request may wait and run before it gets 503 (the model finishes its work, the answer is dropped).
    public var requestTimeout = 120.0

    public init() {}

    /// Refuses settings that cannot serve.
    public func validate() throws {
        guard (0...65_535).contains(port) else { throw ServeError.invalidSettings("port \(port) is outside 0…65535") }
        guard maxUploadBytes >= 1024, maxAudioSeconds > 0, maxTextCharacters >= 1, queueLimit >= 0, requestTimeout > 0 else {
            throw ServeError.invalidSettings("limits must be positive (upload ≥ 1 KiB, audio and timeout > 0 s, text ≥ 1 character, queue ≥ 0)")
        }
    }

    /// Whether the address reaches beyond this machine.
    public var isExposed: Bool { !["127.0.0.1", "::1", "localhost"].contains(host) }
}

/// An error of the server: a request it refuses (a status and a one-line message) or settings it cannot use.
public enum ServeError: Error, CustomStringConvertible, Equatable {
    /// A request the server refuses: HTTP status and the message of its JSON error.
    case refused(status: Int, message: String)
    /// Settings or a model folder that cannot serve.
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .refused(_, let message), .invalidSettings(let message): return message
        }
    }
}
