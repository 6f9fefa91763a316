import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of long jobs as `label done/total`, for any number of labels (stages) and from any thread: lines at
/// most every tenth of each label's total and at its end, or, on a terminal, one line rewritten in place. The
/// command line, the demo's log and the trainers' callers all report through it.
public final class ProgressReporter: @unchecked Sendable {
    private let rewrite: Bool
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var shownTenths: [String: Int] = [:]

    /// Lines at most every tenth of each label's total (and at its end), handed to `write` without a newline.
    public init(lines write: @escaping @Sendable (String) -> Void) {
        (self.rewrite, self.write) = (false, write)
    }

    private init(rewritingTerminal write: @escaping @Sendable (String) -> Void) {
        (self.rewrite, self.write) = (true, write)
    }

    /// Progress on standard error: the line rewritten at every report on a terminal, otherwise lines every tenth,
    /// so a log file or pipe gets a few readable lines rather than thousands of carriage returns.
    public static func standardError() -> ProgressReporter {
        let err = FileHandle.standardError
        if isatty(STDERR_FILENO) == 1 { return ProgressReporter(rewritingTerminal: { err.write(Data($0.utf8)) }) }
        return ProgressReporter(lines: { err.write(Data(($0 + "\n").utf8)) })
    }

    /// Reports `done` of `total` for `label`; a total of 0 reports nothing.
    public func report(_ label: String, _ done: Int, _ total: Int) {
        guard total > 0 else { return }
        if rewrite {
            write("\r\(label) \(done)/\(total)\(done >= total ? "\n" : "")")
            return
        }
        let tenth = min(done, total) * 10 / total
        lock.lock()
        let show = tenth > (shownTenths[label] ?? -1)
        if show { shownTenths[label] = tenth }
        lock.unlock()
        if show { write("\(label) \(done)/\(total)") }
    }

    /// A `(done, total)` callback reporting under `label`, for the library functions that take one.
    public func callback(_ label: String) -> @Sendable (Int, Int) -> Void {
        { [self] done, total in report(label, done, total) }
    }
}
