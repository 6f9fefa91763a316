import Foundation
import S2IGANTensor
import Testing
import S2IGANFormats

/// Golden files next to a test target's sources, written by the scripts in `Tools/fixtures/`.
public struct FixtureFolder: Sendable {
    public let directory: URL

    /// The `Fixtures` folder beside the source file `filePath` (pass `#filePath`).
    public init(besides filePath: String) {
        directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    public func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// A safetensors golden file by base name.
    public func load(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile.read(url(name + ".safetensors"))
    }

    /// The per-case hyper-parameters a fixture script stored as JSON in the `cases` metadata entry.
    public func cases(_ file: SafeTensorsFile) throws -> [String: [String: Any]] {
        let text = try #require(file.metadata["cases"])
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]])
    }
}

/// Asserts that two tensors have the same shape and agree within `|a − b| ≤ atol + rtol · |b|` (NaN only
/// against NaN), reporting the first disagreeing element.
public func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5, _ what: String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, b = expected.scalars
    for i in a.indices {
        let bothNaN = a[i].isNaN && b[i].isNaN
        if !(bothNaN || a[i] == b[i] || Swift.abs(a[i] - b[i]) <= atol + rtol * Swift.abs(b[i])) {
            Issue.record("\(what): element \(i) is \(a[i]), expected \(b[i])", sourceLocation: sourceLocation)
            return
        }
    }
}

/// The float-encoded integers of a fixture tensor.
public func intValues(_ t: Tensor) -> [Int] { t.scalars.map { Int($0) } }

extension Array where Element == Any {
    /// The integers of a JSON array.
    public var ints: [Int] { compactMap { ($0 as? NSNumber)?.intValue } }
}
