import Foundation
import Testing
@testable import Tensor

/// Golden files written by Tools/fixtures/make_tensor_fixtures.py (PyTorch / NumPy), read with the
/// safetensors reader (which has its own tests against hand-built bytes).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func load(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile.read(url(name + ".safetensors"))
    }

    /// The per-case hyper-parameters stored as JSON in the `cases` metadata entry.
    static func cases(_ file: SafeTensorsFile) throws -> [String: [String: Any]] {
        let text = try #require(file.metadata["cases"])
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: [String: Any]])
    }
}

/// Asserts that two tensors have the same shape and agree within `|a - b| <= atol + rtol * |b|`,
/// reporting the worst element.
func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-5,
                 _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, b = expected.scalars
    var worst = 0, worstExcess: Float = -1
    for i in a.indices {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if excess > worstExcess || (a[i].isNaN != b[i].isNaN) { worst = i; worstExcess = a[i].isNaN != b[i].isNaN ? .infinity : excess }
    }
    #expect(worstExcess <= 0 || a.isEmpty,
            "\(what): element \(worst) is \(a.isEmpty ? 0 : a[worst]), expected \(b.isEmpty ? 0 : b[worst])", sourceLocation: sourceLocation)
}

/// The float-encoded integer indices of a fixture as an array of Int.
func intValues(_ t: Tensor) -> [Int] { t.scalars.map { Int($0) } }

extension Array where Element == Any {
    var ints: [Int] { compactMap { ($0 as? NSNumber)?.intValue } }
}
