import ArgumentParser
import Foundation
import S2IGANServe

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a trained model in the browser and over a JSON API (http://127.0.0.1:8080 by default).",
        discussion: """
        --model is a demo output folder (`make demo` writes demo-output) or one laid out the same way: sen/ with the \\
        speech encoder, gan/models/ with the generator, and for the nearest training captions \\
        sen/speech_embeddings_train.safetensors and data/Oxford102/text_c10/. The page at / records the microphone, \\
        takes a dropped recording or a sentence to speak (espeak-ng), and shows every stage's image. The API is in \\
        Docs/serve.md and Docs/openapi.yaml. The server binds 127.0.0.1 unless --host says otherwise; Ctrl-C or \\
        SIGTERM stops it after the requests in flight.
        """
    )

    @Option(help: "The model folder.") var model = "demo-output"
    @Option(help: "Address to bind (127.0.0.1: this machine only; 0.0.0.0 exposes the server to the network).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed when listening).") var port = 8080
    @Option(help: "Requests that may wait behind the running one; more get 503 with Retry-After.") var queue = 8
    @Option(help: "Seconds a request may wait and run.") var timeout = 120.0
    @Option(help: "Largest upload, in MB.") var maxUploadMb = 8.0
    @Option(help: "Longest recording, in seconds.") var maxAudioSeconds = 30.0
    @Option(help: "Longest text to speak, in characters.") var maxTextCharacters = 400

    func settings() throws -> ServeSettings {
        var s = ServeSettings()
        (s.host, s.port, s.queueLimit, s.requestTimeout) = (host, port, queue, timeout)
        (s.maxUploadBytes, s.maxAudioSeconds, s.maxTextCharacters) = (Int(maxUploadMb * 1_048_576), maxAudioSeconds, maxTextCharacters)
        try s.validate()
        return s
    }

    func validate() throws {
        do { _ = try settings() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let settings = try settings()
        let served = try ServeApplication(model: try ServeModel(model: URL(fileURLWithPath: model)), settings: settings)
        if settings.isExposed {
            FileHandle.standardError.write(Data("s2igan serve: warning: --host \(settings.host) makes the server reachable from other machines; it has no authentication\n".utf8))
        }
        let description = served.model.description
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        let finished = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Task {
            do {
                try await served.application { port in
                    let line = "s2igan serve: \(description.generator), \(description.stages) stages, \(description.indexedCaptions) captions indexed; listening on http://\(host):\(port)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }.runService()
            } catch { outcome.error = error }
            finished.signal()
        }
        finished.wait()
        served.removeScratch()
        if let error = outcome.error { throw error }
    }

    final class Outcome: @unchecked Sendable { var error: (any Error)? }
}
