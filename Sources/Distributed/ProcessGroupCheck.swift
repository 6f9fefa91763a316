import Foundation
import S2IGANTensor

extension ProcessGroup {
    /// What ``check(elements:repetitions:version:)`` found.
    public struct CheckReport: Sendable {
        public var ranks: Int
        /// Seconds per all-reduce of `elements` floats (the slowest rank's median of the repetitions).
        public var allReduceSeconds: Double
        public var elements: Int
        /// Bytes of one all-reduce's buffer.
        public var bytes: Int { elements * MemoryLayout<Float>.size }
        /// The algorithmic bandwidth, buffer bytes per second.
        public var bytesPerSecond: Double { Double(bytes) / max(allReduceSeconds, 1e-12) }
    }

    /// Checks that the ranks can work together, with values every rank can verify: the same code `version`
    /// everywhere, a broadcast of rank 0's numbers, a sum and a maximum over the ranks, a barrier, and the time of
    /// an all-reduce of `elements` floats (25 MB by default, PyTorch DDP's bucket size). Throws, naming the rank and
    /// what was wrong, on any difference.
    public func check(elements: Int = 25 * 1024 * 1024 / 4, repetitions: Int = 5, version: String) throws -> CheckReport {
        guard elements > 0, repetitions > 0 else { throw DistributedError.invalidRequest("check: \(elements) elements × \(repetitions) repetitions") }
        try requireSame(version, what: "code version")
        var values = isRoot ? (0..<elements).map { Float($0 % 1_000_003) } : [Float](repeating: -1, count: elements)
        try broadcast(&values)
        var problem: String?
        if let bad = values.indices.first(where: { values[$0] != Float($0 % 1_000_003) }) {
            problem = "rank \(rank): broadcast element \(bad) is \(values[bad]), rank 0 sent \(Float(bad % 1_000_003))"
        }
        // Each rank adds rank + 1: every element of the sum is size (size + 1) / 2, exactly in floats.
        var sums = [Float](repeating: Float(rank + 1), count: elements)
        try allReduce(&sums)
        let expected = Float(size * (size + 1) / 2)
        if problem == nil, let bad = sums.indices.first(where: { sums[$0] != expected }) {
            problem = "rank \(rank): all-reduce element \(bad) is \(sums[bad]), expected \(expected)"
        }
        // Every rank stops together, so none is left waiting in the next collective.
        var failed = [Int64(problem == nil ? 0 : 1)]
        try allReduce(&failed, .max)
        if failed[0] > 0 { throw DistributedError.mismatch(problem ?? "rank \(rank): another rank saw a wrong broadcast or sum") }
        var highest = [Int64(rank)]
        try allReduce(&highest, .max)
        guard highest[0] == Int64(size - 1) else { throw DistributedError.mismatch("rank \(rank): the largest rank is \(highest[0]), expected \(size - 1)") }
        try barrier()
        return CheckReport(ranks: size, allReduceSeconds: try timeAllReduce(&sums, repetitions: repetitions), elements: elements)
    }

    /// The median time of `repetitions` all-reduces (sums) of `values`, each started after a barrier; the slowest
    /// rank's median, on every rank.
    public func timeAllReduce(_ values: inout [Float], repetitions: Int) throws -> Double {
        var times: [Double] = []
        for _ in 0..<max(repetitions, 1) {
            try barrier()
            let start = Self.wallTime()
            try allReduce(&values)
            times.append(Self.wallTime() - start)
        }
        var slowest = [times.sorted()[times.count / 2]]
        try allReduce(&slowest, .max)
        return slowest[0]
    }
}

extension ProcessGroup {
    /// The running program's identity for ``requireSame(_:what:)``: the size and a 64-bit hash (FNV-1a over 8-byte
    /// words) of the executable file. Ranks started from different builds disagree; copies of one build agree.
    public static func executableIdentity() throws -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DistributedError.invalidRequest("cannot read the executable '\(path)' to compare builds across ranks")
        }
        var hash = FNV1a()
        data.withUnsafeBytes { hash.combine(words: $0) }
        return "\(data.count) bytes, \(String(hash.value, radix: 16))"
    }
}
