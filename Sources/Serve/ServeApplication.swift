import Foundation
import Hummingbird
import S2IGANAudio
import S2IGANVision

/// The HTTP side of `s2igan serve` on Hummingbird: the page at `/`, and the JSON API (`Docs/serve.md`,
/// `Docs/openapi.yaml`):
/// - `GET /healthz`, `GET /v1/model`;
/// - `POST /v1/embed`: a recording (the request body, `audio/wav` or any format libsndfile reads) → its embedding;
/// - `POST /v1/generate`: a recording, or `application/json` `{"text": …, "seed": …}` spoken with espeak-ng → the
///   images of every stage as base64 PNG, the spectrogram, the nearest training captions, the seed and timings.
///
/// Every refusal is a 4xx or 503 with a one-line JSON body `{"error": "…"}`; 503s carry Retry-After. Uploads are
/// written to a private temporary folder, never under a name the client chooses, and nothing else of the machine's
/// files is reachable.
public struct ServeApplication: Sendable {
    public let model: ServeModel
    public let settings: ServeSettings
    public let jobs: JobQueue
    let scratch: URL

    public init(model: ServeModel, settings: ServeSettings) throws {
        try settings.validate()
        (self.model, self.settings) = (model, settings)
        jobs = JobQueue(limit: settings.queueLimit)
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-serve-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// The application, bound as the settings say; `onRunning` gets the port it listens on.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        let jobs = jobs
        router.add(middleware: JSONErrors(retryAfter: { jobs.expectedWait }))
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/healthz") { _, _ in try Self.json(["status": "ok"]) }
        router.get("/v1/model") { _, _ in
            var body = try Self.object(model.description)
            body["limits"] = ["max_upload_bytes": settings.maxUploadBytes, "max_audio_seconds": settings.maxAudioSeconds,
                              "max_text_characters": settings.maxTextCharacters, "queue_limit": settings.queueLimit,
                              "request_timeout_seconds": settings.requestTimeout]
            return try Self.json(body)
        }
        router.post("/v1/embed") { request, _ in
            let recording = try await upload(request)
            defer { try? FileManager.default.removeItem(at: recording) }
            let (model, settings) = (model, settings)
            let embedding = try await jobs.run(timeout: settings.requestTimeout) { () throws -> [Float] in
                try model.check(recording: recording, maxSeconds: settings.maxAudioSeconds)
                return try model.embed(recording: recording)
            }
            return try Self.json(["embedding": embedding.map(Double.init), "dimensions": embedding.count])
        }
        router.post("/v1/generate") { request, _ in
            let seed = try Self.seed(request.uri.queryParameters["seed"].map(String.init))
            let (model, settings) = (model, settings)
            var text: String?, requestSeed = seed
            let recording: URL
            if Self.mediaType(request) == "application/json" {
                let body = try await request.body.collect(upTo: 64 << 10)
                guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                      let spoken = object["text"] as? String else {
                    throw ServeError.refused(status: 400, message: "a JSON request needs {\"text\": \"…\"} (and optionally \"seed\")")
                }
                guard !spoken.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ServeError.refused(status: 400, message: "the text is empty") }
                guard spoken.count <= settings.maxTextCharacters else {
                    throw ServeError.refused(status: 413, message: "the text has \(spoken.count) characters; the limit is \(settings.maxTextCharacters)")
                }
                if let value = object["seed"] { requestSeed = try Self.seed("\(value)") }
                text = spoken
                recording = scratch.appendingPathComponent(UUID().uuidString + ".wav")
            } else {
                recording = try await upload(request)
            }
            defer { try? FileManager.default.removeItem(at: recording) }
            let chosen = requestSeed ?? UInt64.random(in: 0...999_999)
            let spoken = text
            let generation = try await jobs.run(timeout: settings.requestTimeout) { () throws -> ServeModel.Generation in
                if let text = spoken {
                    do { _ = try SpeechSynthesizer(engine: .espeakNG).speak(text, settings: VoiceSettings(), to: recording) } catch {
                        throw ServeError.refused(status: 500, message: "speaking the text failed: \(error)")
                    }
                }
                try model.check(recording: recording, maxSeconds: settings.maxAudioSeconds)
                return try model.generate(recording: recording, seed: chosen)
            }
            return try Self.json(try Self.describe(generation, seed: chosen, text: spoken))
        }
        return Application(router: router, configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "s2igan"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) })
    }

    /// Removes the private folder of uploads (after the server has stopped).
    public func removeScratch() {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The request body in a new file of the private folder, within the upload limit.
    func upload(_ request: Request) async throws -> URL {
        let type = Self.mediaType(request)
        guard type.hasPrefix("audio/") || type == "application/octet-stream" || type.isEmpty else {
            throw ServeError.refused(status: 415, message: "send the recording as the request body (audio/wav), or JSON {\"text\": …} to /v1/generate; got \(type)")
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > settings.maxUploadBytes {
            throw ServeError.refused(status: 413, message: "the upload has \(declared) bytes; the limit is \(settings.maxUploadBytes)")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: settings.maxUploadBytes) } catch {
            throw ServeError.refused(status: 413, message: "the upload is larger than \(settings.maxUploadBytes) bytes")
        }
        guard body.readableBytes > 0 else { throw ServeError.refused(status: 400, message: "the request has no recording in its body") }
        let file = scratch.appendingPathComponent(UUID().uuidString + ".audio")
        try Data(body.readableBytesView).write(to: file)
        return file
    }

    static func mediaType(_ request: Request) -> String {
        (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    static func seed(_ text: String?) throws -> UInt64? {
        guard let text else { return nil }
        guard let value = UInt64(text) else { throw ServeError.refused(status: 400, message: "seed '\(text.prefix(40))' is not a non-negative integer") }
        return value
    }

    static func describe(_ g: ServeModel.Generation, seed: UInt64, text: String?) throws -> [String: Any] {
        var result: [String: Any] = [
            "seed": seed,
            "images": try g.images.map { ["size": $0.width, "png": try $0.encoded(as: .png()).base64EncodedString()] },
            "spectrogram": try g.spectrogram.encoded(as: .png()).base64EncodedString(),
            "neighbours": g.neighbours.map { ["text": $0.text, "key": $0.key, "similarity": Double($0.similarity)] },
            "timings_ms": Dictionary(uniqueKeysWithValues: g.seconds.map { ($0.0, ($0.1 * 1000).rounded()) }),
        ]
        if let text { result["text"] = text }
        return result
    }

    static func object<T: Encodable>(_ value: T) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value)) as? [String: Any] ?? [:]
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a one-line JSON body `{"error": "…"}` with its status (503s with Retry-After), so a
/// client never sees an empty 500 and the server keeps serving.
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    /// Seconds a refused client should wait (the queue's expected wait).
    let retryAfter: @Sendable () -> Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServeError {
            guard case .refused(let status, let message) = error else { return try self.error(500, "\(error)") }
            return try self.error(status, message)
        } catch let error as any HTTPResponseError {
            let message = error.status == .notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : error.status.reasonPhrase
            return try self.error(error.status.code, message)
        } catch {
            return try self.error(500, "\(error)")
        }
    }

    func error(_ status: Int, _ message: String) throws -> Response {
        let line = message.replacingOccurrences(of: "\n", with: " ")
        var headers: HTTPFields = [:]
        if status == 503 { headers[.retryAfter] = "\(retryAfter())" }
        return try ServeApplication.json(["error": line], status: HTTPResponse.Status(code: status), headers: headers)
    }
}
