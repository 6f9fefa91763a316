import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import S2IGANAudio
import S2IGANDatasets
import S2IGANGAN
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import TestSupport
import Testing

/// `s2igan serve` as a client sees it: the built executable started on a free loopback port with a small model
/// (random weights, a tiny spoken-flowers caption index), and HTTP requests to it: the page, the API, every refusal
/// as a one-line JSON error that leaves the server serving, the queue limit and the timeout.
@Suite(.serialized) struct ServeTests {
    /// A running server and its port.
    final class Server: @unchecked Sendable {
        let process = Process()
        var port = 0
        var stderr = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = try cliExecutable()
            process.arguments = ["serve", "--port", "0"] + arguments
            let out = Pipe()
            (process.standardOutput, process.standardError) = (out, stderr)
            try process.run()
            // The first line names the port: "... listening on http://127.0.0.1:<port>".
            var line = Data()
            let handle = out.fileHandleForReading
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: "listening on http://127.0.0.1:"),
                  let port = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
                process.terminate()
                throw ServeError("no port in the first line: \(text) \(String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self))")
            }
            self.port = port
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// One request: status, headers and the JSON (or text) body.
        func request(_ path: String, method: String = "GET", type: String? = nil, body: Data? = nil) throws -> (status: Int, headers: [String: String], body: Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            (request.httpMethod, request.httpBody, request.timeoutInterval) = (method, body, 60)
            if let type { request.setValue(type, forHTTPHeaderField: "Content-Type") }
            final class Box: @unchecked Sendable { var result: (Int, [String: String], Data)?; var error: (any Error)? }
            let box = Box(), done = DispatchSemaphore(value: 0)
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let http = response as? HTTPURLResponse {
                    let headers = Dictionary(uniqueKeysWithValues: http.allHeaderFields.map { ("\($0.key)".lowercased(), "\($0.value)") })
                    box.result = (http.statusCode, headers, data ?? Data())
                } else {
                    box.error = error ?? ServeError("no response")
                }
                done.signal()
            }.resume()
            done.wait()
            if let error = box.error { throw error }
            let (status, headers, data) = box.result!
            return (status, headers, data)
        }
    }

    struct ServeError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
    }

    /// A model folder as `make demo` lays it out: sen/models (a tiny speech encoder), gan/models/netG_0 (a 2-stage
    /// generator), sen/speech_embeddings_train.safetensors and data/ (a tiny spoken-flowers) for the caption index.
    static func modelFolder(_ root: URL, redOnly: Bool = false) throws -> (folder: URL, recording: URL) {
        let folder = root.appendingPathComponent("model")
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize) = (3, 3, 2, 64)
        _ = try SpokenFlowers.build(options, root: folder.appendingPathComponent("data"))
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.attentionHidden) = ([8, 12], 8, 6)
        let encoder = try Initialization.seeded(3) { try SpeechEncoder(c) }
        let sen = folder.appendingPathComponent("sen")
        try FileManager.default.createDirectory(at: sen.appendingPathComponent("models"), withIntermediateDirectories: true)
        try encoder.save(to: sen.appendingPathComponent("models/best_audio_model.safetensors"))
        let architecture = RDGArchitecture(stages: 2, generatorWidth: 4, discriminatorWidth: 4, noiseSize: 6, conditionSize: 4, speechEmbeddingSize: 16)
        // The reference's initialisation (weights_init), so that the noise shows in the images.
        let generator = try RDGNetworks(architecture: architecture, relation: false, seed: 4).generator
        if redOnly {
            // Every stage's image convolution draws the red channel alone: green and blue are tanh(0), mid-grey 127,
            // so an image of this colour on the page is the generator's output and nothing else.
            for (name, p) in generator.namedParameters() where name.hasSuffix("img.0.weight") {
                let perChannel = p.value.count / 3
                p.value = try Tensor(shape: p.value.shape, scalars: p.value.scalars.enumerated().map { $0.offset < perChannel ? $0.element * 4 : 0 })
            }
        }
        let models = folder.appendingPathComponent("gan/models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try generator.save(to: models.appendingPathComponent("netG_0.safetensors"))
        let extract = try runCLI(["sen", "extract", "--dataset", "spoken-flowers", "--root", folder.appendingPathComponent("data").path,
                                  "--model", sen.path, "--output", sen.path])
        #expect(extract.status == 0, "\(extract.stderr)")
        let recording = try #require(FileManager.default.enumerator(at: folder.appendingPathComponent("data/Oxford102/audio"), includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.first { $0.pathExtension == "wav" })
        return (folder, recording)
    }

    @Test func theAPIAnswersAndRefusesBadInputWithoutStopping() throws {
        let root = try scratchFolder("serve")
        defer { try? FileManager.default.removeItem(at: root) }
        let (folder, recording) = try Self.modelFolder(root)
        let server = try Server(["--model", folder.path, "--max-audio-seconds", "10", "--max-upload-mb", "1", "--max-text-characters", "60"])
        defer { _ = server.stop() }

        // The page, health, the model.
        let page = try server.request("/")
        #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("id=\"record\""))
        #expect(try server.request("/healthz").status == 200)
        let model = try Self.json(try server.request("/v1/model").body)
        #expect(model["stages"] as? Int == 2 && model["embedding_size"] as? Int == 16 && (model["indexed_captions"] as? Int ?? 0) >= 12, "\(model)")

        // A recording: every stage's image, the spectrogram, neighbours; the same seed draws the same images.
        let wav = try Data(contentsOf: recording)
        var answers: [[String: Any]] = []
        for seed in [7, 7, 8] {
            let r = try server.request("/v1/generate?seed=\(seed)", method: "POST", type: "audio/wav", body: wav)
            #expect(r.status == 200, "\(String(decoding: r.body, as: UTF8.self))")
            answers.append(try Self.json(r.body))
        }
        let images = try #require(answers[0]["images"] as? [[String: Any]])
        #expect(images.map { $0["size"] as? Int } == [64, 128])
        for image in images {
            let base64 = try #require(image["png"] as? String)
            let png = try #require(Data(base64Encoded: base64))
            let decoded = try RGBImage.decode(png)
            #expect(decoded.width == image["size"] as? Int && decoded.height == decoded.width)
        }
        let spectrogram = try #require(answers[0]["spectrogram"] as? String)
        #expect(try RGBImage.decode(try #require(Data(base64Encoded: spectrogram))).height == 120)
        #expect((answers[0]["neighbours"] as? [[String: Any]])?.count == 5 && answers[0]["seed"] as? Int == 7)
        let pngs = answers.map { ($0["images"] as? [[String: Any]])?.compactMap { $0["png"] as? String } ?? [] }
        #expect(pngs[0] == pngs[1] && pngs[0] != pngs[2], "\(pngs.map { $0.map(\.count) })")

        // A sentence spoken on the server, and an embedding.
        let spoken = try server.request("/v1/generate", method: "POST", type: "application/json", body: Data(#"{"text": "five pink petals", "seed": 3}"#.utf8))
        let spokenText = (try? Self.json(spoken.body))?["text"] as? String
        #expect(spoken.status == 200 && spokenText == "five pink petals", "\(String(decoding: spoken.body, as: UTF8.self))")
        let embedding = try Self.json(try server.request("/v1/embed", method: "POST", type: "audio/wav", body: wav).body)
        #expect(embedding["dimensions"] as? Int == 16 && (embedding["embedding"] as? [Double])?.count == 16)

        // Refusals: each a 4xx with a one-line JSON error, and the server keeps serving.
        let long = AudioSignal(samples: [Float](repeating: 0.1, count: 22_050 * 12), sampleRate: 22_050)
        let longFile = root.appendingPathComponent("long.wav")
        try long.write(to: longFile)
        let cases: [(String, String, String?, Data?, Int, String)] = [
            ("/v1/generate", "POST", "audio/wav", Data("RIFF not really a wav".utf8), 400, "not audio"),
            ("/v1/generate", "POST", "audio/wav", Data(), 400, "no recording"),
            ("/v1/generate", "POST", "text/plain", Data("hello".utf8), 415, "audio/wav"),
            ("/v1/generate", "POST", "application/json", Data(#"{"text": "\#(String(repeating: "petal ", count: 20))"}"#.utf8), 413, "characters"),
            ("/v1/generate", "POST", "application/json", Data(#"{"txt": "x"}"#.utf8), 400, "text"),
            ("/v1/generate", "POST", "audio/wav", try Data(contentsOf: longFile), 413, "12.0 s"),
            ("/v1/embed", "POST", "audio/wav", Data(repeating: 1, count: 2 << 20), 413, "bytes"),
            ("/v1/generate?seed=-1", "POST", "audio/wav", wav, 400, "seed"),
            ("/../../etc/passwd", "GET", nil, nil, 404, "no such endpoint"),
            ("/v1/model", "POST", nil, nil, 404, "no such endpoint"),
        ]
        for (path, method, type, body, status, words) in cases {
            let r = try server.request(path, method: method, type: type, body: body)
            let text = String(decoding: r.body, as: UTF8.self)
            #expect(r.status == status && !text.dropLast().contains("\n") && r.headers["content-type"] == "application/json", "\(path): \(r.status) \(text)")
            #expect(((try? Self.json(r.body))?["error"] as? String)?.contains(words) == true, "\(path): \(text)")
            #expect(!text.contains(root.path) && !text.contains("/tmp/s2igan-serve"), "\(path) names a server file: \(text)")
        }
        #expect(try server.request("/healthz").status == 200)
        #expect(server.stop() == 0)
    }

    /// The page in headless Chromium (Debian's package, scripts/setup.sh installs it), driven as a person uses it:
    /// `Tools/e2e/serve_e2e.py` opens it with a fake microphone playing a spoken caption, clicks Record, then Stop,
    /// and reads back the images the page shows. The generator draws red alone (green and blue 127), so the colour
    /// proves the pixels are the model's, through the real recording path (Web Audio → WAV → /v1/generate).
    @Test func theMicrophonePathInHeadlessChromium() throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(chromium != nil && python != nil, "chromium and python3 are missing: scripts/setup.sh installs them")
        let root = try scratchFolder("serve-e2e")
        defer { try? FileManager.default.removeItem(at: root) }
        let (folder, recording) = try Self.modelFolder(root, redOnly: true)
        let server = try Server(["--model", folder.path])
        defer { _ = server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tools/e2e/serve_e2e.py")
        let result = try runProcess(URL(fileURLWithPath: python!), [script.path, "--url", "http://127.0.0.1:\(server.port)/", "--wav", recording.path,
                                                                    "--seconds", "3", "--chromium", chromium!])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let page = try Self.json(Data(result.stdout.utf8))
        let images = try #require(page["images"] as? [[String: Any]])
        #expect(images.compactMap { $0["size"] as? Int } == [64, 128], "\(page)")
        for image in images {
            let (low, high) = (try #require(image["min"] as? [Int]), try #require(image["max"] as? [Int]))
            #expect(low[1] == 127 && high[1] == 127 && low[2] == 127 && high[2] == 127 && high[0] > low[0], "\(image)")
        }
        #expect((page["recording"] as? String)?.hasPrefix("Recorded") == true && page["neighbours"] as? Int == 5, "\(page)")
    }

    /// More requests than the queue holds get 503 with Retry-After, the others are answered; a request past its
    /// timeout gets 503 too. Nothing else fails.
    @Test func aFullQueueAndATimeoutAnswer503() throws {
        let root = try scratchFolder("serve-queue")
        defer { try? FileManager.default.removeItem(at: root) }
        let (folder, recording) = try Self.modelFolder(root)
        let wav = try Data(contentsOf: recording)
        let server = try Server(["--model", folder.path, "--queue", "0"])
        final class Statuses: @unchecked Sendable { let lock = NSLock(); var values: [(Int, String?)] = [] }
        let statuses = Statuses()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let r = try? server.request("/v1/generate", method: "POST", type: "application/json", body: Data(#"{"text": "a red flower number \#(i)"}"#.utf8))
            statuses.lock.lock()
            statuses.values.append((r?.status ?? -1, r?.headers["retry-after"]))
            statuses.lock.unlock()
        }
        #expect(server.stop() == 0)
        let codes = statuses.values.map(\.0)
        #expect(codes.allSatisfy { [200, 503].contains($0) } && codes.contains(200) && codes.contains(503), "\(codes)")
        #expect(statuses.values.filter { $0.0 == 503 }.allSatisfy { ($0.1.flatMap { Int($0) } ?? 0) >= 1 }, "\(statuses.values)")

        let slow = try Server(["--model", folder.path, "--timeout", "0.001"])
        defer { _ = slow.stop() }
        let r = try slow.request("/v1/generate?seed=1", method: "POST", type: "audio/wav", body: wav)
        #expect(r.status == 503 && r.headers["retry-after"] != nil && String(decoding: r.body, as: UTF8.self).contains("timed out"), "\(r.status)")
    }
}
