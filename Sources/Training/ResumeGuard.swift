import Foundation
import S2IGANFormats
import S2IGANTensor

/// The two refusals that keep a run folder safe: resuming where there is no run (a mistyped `--output` must not
/// silently start over) and starting a new run where one is (it would overwrite work).
public enum ResumeGuard {
    /// Makes a run folder ready to resume from its checkpoint `url`: throws if there is none (the error names the
    /// folder and says to drop `--resume`), then removes the temporary files that an interrupted atomic write left
    /// in the folder or below it. Returns their relative paths. `run` names what would be resumed ("SEN training run").
    @discardableResult
    public static func prepareResume(from url: URL, run: String) throws -> [String] {
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        guard exists, isDirectory.boolValue, FileManager.default.fileExists(atPath: url.path) else {
            let what = !exists ? "does not exist" : isDirectory.boolValue ? "holds no \(url.lastPathComponent)" : "is a file, not a run folder"
            throw TrainingError.file(path: folder.path, reason: "cannot resume: the folder \(what), so there is no \(run) to continue; drop --resume to start a new run")
        }
        return try removeStaleTemporaryFiles(in: folder, includingSubfolders: true)
    }

    /// Throws unless a new run may start in the folder of checkpoint `url`: one that holds a checkpoint holds a run.
    /// `run` is the run with its article ("an RDG training run").
    public static func requireNoRun(at url: URL, run: String) throws {
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.file(path: url.deletingLastPathComponent().path,
                                   reason: "already holds \(run) (\(url.lastPathComponent)); resume it or choose another folder")
        }
    }
}
