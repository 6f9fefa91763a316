import Foundation

/// A fresh folder name under the temporary directory (not created).
public func temporaryRoot(_ prefix: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-\(prefix)-\(UUID().uuidString)")
}

/// Every file under `root` by relative path, with its bytes: two trees are equal when these are.
public func files(under root: URL) throws -> [String: Data] {
    let base = root.standardizedFileURL.path + "/"
    var result: [String: Data] = [:]
    for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? FileManager.DirectoryEnumerator() {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        result[String(url.standardizedFileURL.path.dropFirst(base.count))] = try Data(contentsOf: url)
    }
    return result
}
