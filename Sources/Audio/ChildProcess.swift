import Foundation
import S2IGANTensor
#if canImport(Glibc)
import Glibc
#endif

/// Runs an external program to completion: standard input from `/dev/null`, standard output and error
/// together into a log file, a time limit after which the program is killed. `posix_spawnp` rather than
/// `Foundation.Process`, so that many workers can run programs at once without a run loop.
enum ChildProcess {
    struct Outcome {
        /// The exit code, or `-signal` when the program was killed by a signal.
        var status: Int32
        /// Standard output and error, at most the first 4 KB.
        var output: String
        var timedOut: Bool
    }

    /// Whether an executable of that name is on `PATH` (or at that path).
    static func exists(_ program: String) -> Bool {
        if program.contains("/") { return access(program, X_OK) == 0 }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }

    /// Runs `arguments[0]` (looked up on `PATH`) with the rest as its arguments.
    /// - Throws: when the program cannot be started.
    static func run(_ arguments: [String], timeout: Double, log: URL) throws -> Outcome {
        guard let program = arguments.first else { throw AudioError.speechEngine("cannot run a program: none was named") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw AudioError.speechEngine("cannot run '\(program)': \(String(cString: strerror(spawned)))")
        }
        defer { try? FileManager.default.removeItem(at: log) }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0, timedOut = false, pause = 200_000 as Int
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { status = 0x7f00; break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                timedOut = true
                break
            }
            var interval = timespec(tv_sec: 0, tv_nsec: pause)
            nanosleep(&interval, nil)
            pause = min(pause * 2, 20_000_000)
        }
        let exited = status & 0x7f == 0
        let code = exited ? (status >> 8) & 0xff : -(status & 0x7f)
        let bytes = (try? FileHandle(forReadingFrom: log).readData(ofLength: 4096)) ?? Data()
        return Outcome(status: code, output: String(decoding: bytes, as: UTF8.self), timedOut: timedOut)
    }

    /// `value` quoted for `/bin/sh`.
    static func shellQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
