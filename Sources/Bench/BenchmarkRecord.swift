import Foundation
import S2IGANTensor

/// One result of a benchmark: JSON values by key, printed as one line with sorted keys (the format
/// `Docs/benchmarks.md` and `Tools/bench/tensor_tables.py` read).
public typealias BenchmarkRecord = [String: Any]

/// What every record starts from: the thread count, OpenBLAS's kernel family and the library's name.
public func benchmarkContext() -> BenchmarkRecord {
    ["threads": Parallel.workerCount, "openblas_core": BLAS.coreName ?? "unknown", "openblas_detected": BLAS.detectedCore ?? "unknown", "lib": "s2igan-swift"]
}

/// `record` as one JSON line (keys sorted), without the newline; nil if it holds a value JSON cannot write.
public func jsonLine(_ record: BenchmarkRecord) -> String? {
    guard let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return nil }
    return String(data: data, encoding: .utf8)
}

/// One JSON line on stdout, for scripts to read.
public func printJSON(_ object: BenchmarkRecord) {
    if let line = jsonLine(object) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
