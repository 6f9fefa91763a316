import Foundation
import S2IGANTensor

/// safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, optional string `__metadata__`, then the raw little-endian data.
///
/// Reading validates everything the header claims: header size, JSON shape, known dtypes, byte ranges
/// inside the data, sizes that match the shapes, no overlaps and no gaps (as the reference library).
public struct SafeTensorsFile: Sendable {
    /// The string metadata (`__metadata__`), empty when absent.
    public var metadata: [String: String]
    /// The arrays by name.
    public var arrays: [String: TypedArray]

    public init(arrays: [String: TypedArray] = [:], metadata: [String: String] = [:]) {
        self.arrays = arrays
        self.metadata = metadata
    }

    /// Float32 tensors, converted from whatever type is stored.
    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.init(arrays: tensors.mapValues(TypedArray.init), metadata: metadata)
    }

    /// Names of the arrays, sorted.
    public var names: [String] { arrays.keys.sorted() }

    /// The named array as a Float32 tensor.
    /// - Throws: if there is no such array.
    public func tensor(_ name: String) throws -> Tensor {
        guard let array = arrays[name] else {
            throw FormatError.unsupported("safetensors: no tensor named '\(name)'")
        }
        return array.tensor()
    }

    static let dtypeNames = Dictionary(uniqueKeysWithValues: ScalarType.allCases.map { ($0.safetensorsName, $0) })
    static let maximumHeader = 100_000_000


    /// Reads and validates a safetensors file.
    public static func read(_ url: URL) throws -> SafeTensorsFile {
        try decode(readFileBytes(url), path: url.path)
    }

    /// Parses safetensors bytes; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> SafeTensorsFile {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "safetensors: " + reason) }
        guard data.count >= 8 else { throw fail("file of \(data.count) bytes is too short for the 8-byte header length") }
        var headerLength: UInt64 = 0
        for (k, byte) in data.prefix(8).enumerated() { headerLength |= UInt64(byte) << (8 * UInt64(k)) }
        guard headerLength <= UInt64(maximumHeader) else { throw fail("header length \(headerLength) exceeds the 100 MB limit") }
        guard Int(headerLength) <= data.count - 8 else {
            throw fail("header length \(headerLength) runs past the end of the \(data.count)-byte file")
        }
        let headerData = data.subdata(in: data.startIndex + 8 ..< data.startIndex + 8 + Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: headerData),
              let header = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = data.count - dataStart
        var file = SafeTensorsFile()
        var ranges: [(name: String, start: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("__metadata__ value for '\(k)' is not a string") }
                    file.metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("entry '\(name)' has no dtype") }
            guard let type = dtypeNames[dtypeName] else { throw fail("entry '\(name)' has unsupported dtype \(dtypeName)") }
            guard let shapeValues = entry["shape"] as? [Any] else { throw fail("entry '\(name)' has no shape") }
            var shape: [Int] = []
            for d in shapeValues {
                guard let n = d as? NSNumber, let dim = Int(exactly: n.doubleValue), dim >= 0 else {
                    throw fail("entry '\(name)' has an invalid shape \(shapeValues)")
                }
                shape.append(dim)
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let startNumber = offsets[0] as? NSNumber, let endNumber = offsets[1] as? NSNumber,
                  let start = Int(exactly: startNumber.doubleValue), let end = Int(exactly: endNumber.doubleValue) else {
                throw fail("entry '\(name)' has invalid data_offsets")
            }
            guard start >= 0, start <= end, end <= dataLength else {
                throw fail("entry '\(name)' has data_offsets [\(start), \(end)] outside the \(dataLength)-byte data section")
            }
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("entry '\(name)' has a shape too large: \(shape)") }
                count = p
            }
            let (needed, tooLarge) = count.multipliedReportingOverflow(by: type.byteCount)
            guard !tooLarge else { throw fail("entry '\(name)' has a shape too large: \(shape)") }
            guard end - start == needed else {
                throw fail("entry '\(name)': \(dtypeName) \(shape) needs \(needed) bytes, data_offsets give \(end - start)")
            }
            let bytes = data.subdata(in: data.startIndex + dataStart + start ..< data.startIndex + dataStart + end)
            file.arrays[name] = try TypedArray(scalarType: type, shape: shape, bytes: bytes)
            ranges.append((name, start, end))
        }
        ranges.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var position = 0
        for r in ranges {
            guard r.start >= position else { throw fail("entry '\(r.name)' overlaps the previous tensor's bytes") }
            guard r.start == position else { throw fail("gap in the data section before entry '\(r.name)'") }
            position = r.end
        }
        guard position == dataLength else {
            throw fail("data section has \(dataLength) bytes but the tensors cover \(position)")
        }
        return file
    }

    /// The file's bytes: tensors sorted by name, header padded with spaces to a multiple of 8 bytes.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let sorted = arrays.sorted { $0.key < $1.key }
        for (name, a) in sorted {
            guard name != "__metadata__" else {
                throw FormatError.unsupported("safetensors: '__metadata__' cannot be a tensor name")
            }
            header[name] = ["dtype": a.scalarType.safetensorsName, "shape": a.shape, "data_offsets": [offset, offset + a.bytes.count]]
            offset += a.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, a) in sorted { data.append(a.bytes) }
        return data
    }

    /// Writes the file atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try writeFileAtomically(encoded(), to: url)
    }
}

extension ScalarType {
    /// The dtype name safetensors headers use.
    var safetensorsName: String {
        switch self {
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float32: return "F32"
        case .float64: return "F64"
        case .int8: return "I8"
        case .int16: return "I16"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        case .uint16: return "U16"
        case .uint32: return "U32"
        case .uint64: return "U64"
        case .bool: return "BOOL"
        }
    }
}
