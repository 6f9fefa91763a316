import Foundation
import S2IGANDatasets
import S2IGANTensor

/// The reference's evaluation lists (`evaluation/<ds>/*.pickle`: protocol-3 pickles of a list of str with
/// Windows `\` separators) or our own (a text file, one name per line), and the naming rules of spec 4.2–4.3.
public enum EvaluationLists {
    /// The names in a `.pickle` list of str or a text file (blank lines skipped), with `\` turned into `/`.
    public static func read(_ url: URL) throws -> [String] {
        try NameList.read(url, what: "evaluation list")
    }

    /// The file a generated-image list entry names: `_128_` becomes `_256_` and the extension `.png`, as the
    /// reference's mAP script rewrites its CUB list.
    public static func generatedFileName(_ entry: String) -> String {
        var name = entry.replacingOccurrences(of: "_128_", with: "_256_")
        if let dot = name.lastIndex(of: "."), !name[dot...].contains("/") { name = String(name[..<dot]) }
        return name + ".png"
    }

    /// The class of a list entry: CUB — the integer before the first `.` (`001.Black_footed_Albatross/…` → 1);
    /// Oxford-style — the digits after `class_` (`class_00001/…` → 1).
    public static func classID(of entry: String) throws -> Int {
        let first = entry.split(separator: "/").first.map(String.init) ?? entry
        if first.hasPrefix("class_"), let id = Int(first.dropFirst("class_".count)) { return id }
        if let dot = first.firstIndex(of: "."), let id = Int(first[..<dot]) { return id }
        throw EvaluationError.invalidRequest("evaluation list: cannot read a class from '\(entry)' (expected '001.Name/…' or 'class_00001/…')")
    }

    /// The sub-folders `epoch<N>` of a generation output, sorted by N; a folder without them is one set (N = nil).
    public static func epochFolders(in folder: URL) throws -> [(epoch: Int?, folder: URL)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError.file(path: folder.path, reason: "no such folder")
        }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let epochs = children.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("epoch"), let n = Int(name.dropFirst(5)) else { return nil }
            return (n, folder.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
        return epochs.isEmpty ? [(nil, folder)] : epochs.map { ($0.0, $0.1) }
    }
}
