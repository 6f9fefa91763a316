import Foundation
import S2IGANTensor

/// NumPy `.npz` archives: a zip of `.npy` members named `<key>.npy`, stored (`numpy.savez`) or deflated
/// (`numpy.savez_compressed`, what pytorch-fid's `--save-stats` writes). Written stored.
public enum NPZ {
    /// The arrays of an archive by key (the member name without `.npy`).
    public static func read(_ url: URL) throws -> [String: TypedArray] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FormatError.file(path: url.path, reason: "npz: cannot read (\(readableDescription(of: error)))")
        }
        let zip = try ZipArchive(data, path: url.path)
        var arrays: [String: TypedArray] = [:]
        for name in zip.names where name.hasSuffix(".npy") {
            arrays[String(name.dropLast(4))] = try NPY.decode(try zip.contents(name), path: "\(url.path) member \(name)")
        }
        return arrays
    }

    /// Writes `arrays` as `<key>.npy` members in key order, atomically.
    public static func write(_ arrays: [String: TypedArray], to url: URL) throws {
        try ZipWriter.write(arrays.sorted { $0.key < $1.key }.map { ($0.key + ".npy", NPY.encode($0.value)) }, to: url)
    }
}
