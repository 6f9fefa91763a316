import Foundation

/// A list of names (image keys, file names) in a file: a pickled list of str (the reference's `filenames.pickle`
/// and evaluation lists, written on Windows with `\` separators) or a text file with one name per line (blank
/// lines skipped). Names come back with `/` separators.
public enum NameList {
    /// The names in `url`; `what` names the list in errors ("evaluation list", "test keys").
    public static func read(_ url: URL, what: String = "name list") throws -> [String] {
        var names: [String]
        if ["pickle", "pkl"].contains(url.pathExtension.lowercased()) {
            guard let items = try PickleReader.read(url).items else {
                throw TensorError.file(path: url.path, reason: "\(what): the pickle does not hold a list")
            }
            names = try items.enumerated().map { i, item in
                guard case .string(let s) = item else { throw TensorError.file(path: url.path, reason: "\(what): item \(i) is not a string") }
                return s
            }
        } else {
            let text: String
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw TensorError.file(path: url.path, reason: "\(what): cannot read (\(error.localizedDescription))")
            }
            names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        guard !names.isEmpty else { throw TensorError.file(path: url.path, reason: "\(what): empty") }
        return names.map { $0.replacingOccurrences(of: "\\", with: "/") }
    }
}
