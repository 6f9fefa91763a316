import Foundation
import Testing
import Tensor

/// Golden files written by Tools/fixtures/make_nn_fixtures.py (PyTorch 2.15).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func load(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile.read(directory.appendingPathComponent(name + ".safetensors"))
    }
}

func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5, _ what: String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, b = expected.scalars
    for i in a.indices {
        let ok = a[i] == b[i] || abs(a[i] - b[i]) <= atol + rtol * abs(b[i])
        if !ok {
            Issue.record("\(what): element \(i) is \(a[i]), expected \(b[i])", sourceLocation: sourceLocation)
            return
        }
    }
}
