import Foundation
import S2IGANFormats
import S2IGANTensor
import Yams

/// Reads a YAML configuration over a base value, the one way every trainer's `config.yml` / `--config` file is
/// read: the base is encoded, the document's keys replace the encoded ones (nested mappings key by key), and the
/// result is decoded and validated. A file may name only the keys it changes; a key the configuration does not
/// have is an error naming the file and the key path (a typo must not silently train with a default).
public enum ConfigurationOverlay {
    /// Applies `text` over `base` and runs `validate` on the result. `optionalKeys`: top-level keys that may be
    /// absent from the encoded base (optionals that are `nil`) and may still be set. Every error names `source`.
    public static func apply<T: Codable>(_ text: String, over base: T, source: String, optionalKeys: Set<String> = [],
                                         validate: (T) throws -> Void = { _ in }) throws -> T {
        func fail(_ message: String) -> TrainingError { TrainingError.file(path: source, reason: "config: \(message)") }
        let overlay: Node?
        do { overlay = try Yams.compose(yaml: text) } catch { throw fail("not valid YAML (\(readableDescription(of: error)))") }
        guard let overlay else { return base }
        guard overlay.mapping != nil else { throw fail("the top level must be a mapping of keys to values") }
        guard let encoded = try Yams.compose(yaml: try YAMLEncoder().encode(base)) else { throw fail("cannot encode the defaults") }
        func merge(_ target: Node, _ patch: Node, path: String) throws -> Node {
            guard var mapping = target.mapping, let patchMapping = patch.mapping else { return patch }
            for (key, value) in patchMapping {
                let name = key.string ?? "?"
                if mapping[key] == nil, path.isEmpty, optionalKeys.contains(name) {
                    mapping[key] = value
                    continue
                }
                guard let existing = mapping[key] else {
                    let known = Set(mapping.keys.compactMap(\.string)).union(path.isEmpty ? optionalKeys : []).sorted()
                    throw fail("unknown key '\(path)\(name)' (known: \(known.joined(separator: ", ")))")
                }
                mapping[key] = try merge(existing, value, path: path + name + ".")
            }
            return .mapping(mapping)
        }
        let merged = try merge(encoded, overlay, path: "")
        let result: T
        do {
            result = try YAMLDecoder().decode(T.self, from: try Yams.serialize(node: merged))
        } catch {
            throw fail("\(readableDescription(of: error))")
        }
        do { try validate(result) } catch { throw TrainingError.file(path: source, reason: readableDescription(of: error)) }
        return result
    }

    /// Reads the YAML file at `url` over `base`, as ``apply(_:over:source:optionalKeys:validate:)``.
    public static func apply<T: Codable>(file url: URL, over base: T, optionalKeys: Set<String> = [],
                                         validate: (T) throws -> Void = { _ in }) throws -> T {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TrainingError.file(path: url.path, reason: "config: cannot read (\(readableDescription(of: error)))")
        }
        return try apply(text, over: base, source: url.path, optionalKeys: optionalKeys, validate: validate)
    }
}
