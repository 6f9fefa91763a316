import Foundation
import S2IGANTensor
import S2IGANFormats

/// A list of names (image keys, file names) in a file: a pickled list of str (the reference's `filenames.pickle`
/// and evaluation lists, written on Windows with `\` separators) or a text file with one name per line (blank
/// lines skipped). Names come back with `/` separators.
public enum NameList {
    /// The names in `url`; `what` names the list in errors ("evaluation list", "test keys").
    public static func read(_ url: URL, what: String = "name list") throws -> [String] {
        var names: [String]
        if ["pickle", "pkl"].contains(url.pathExtension.lowercased()) {
            names = try pickled(url, what: what)
        } else {
            let text: String
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw DatasetError.file(path: url.path, reason: "\(what): cannot read (\(readableDescription(of: error)))")
            }
            names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { $0.replacingOccurrences(of: "\\", with: "/") }
        }
        guard !names.isEmpty else { throw DatasetError.file(path: url.path, reason: "\(what): empty") }
        try checkInsideRoot(names, url, what)
        return names
    }

    /// Names are joined to a dataset root, so each must stay inside it: relative, without `..` components or
    /// NUL bytes. A key such as `../../etc/passwd` is an error naming the list, not a file read from elsewhere.
    static func checkInsideRoot(_ names: [String], _ url: URL, _ what: String) throws {
        for (i, name) in names.enumerated() {
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            guard !name.isEmpty, !name.hasPrefix("/"), !parts.contains(".."), !name.contains("\0") else {
                throw DatasetError.file(path: url.path, reason: "\(what): item \(i) '\(name)' is not a path inside the dataset (names must be relative, without '..')")
            }
        }
    }

    /// The names in a pickle of any extension (a list, tuple or NumPy object array of str or bytes), possibly
    /// none.
    public static func pickled(_ url: URL, what: String = "name list") throws -> [String] {
        let list: [PickleValue]
        switch try PickleReader.read(url) {
        case .list(let v), .tuple(let v), .objectArray(_, let v): list = v
        default: throw DatasetError.file(path: url.path, reason: "\(what): the pickle does not hold a list")
        }
        let names = try list.enumerated().map { i, item in
            switch item {
            case .string(let s): return s.replacingOccurrences(of: "\\", with: "/")
            case .bytes(let b): return String(decoding: b, as: UTF8.self).replacingOccurrences(of: "\\", with: "/")
            default: throw DatasetError.file(path: url.path, reason: "\(what): item \(i) is not a string")
            }
        }
        try checkInsideRoot(names, url, what)
        return names
    }
}
