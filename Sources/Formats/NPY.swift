import Foundation
import S2IGANTensor

/// NumPy `.npy` files (format versions 1.0–3.0): float16/32/64, signed and unsigned integers, bool;
/// C order; either byte order on reading (stored little-endian in memory). Fortran-ordered, object
/// and structured arrays are refused with an error that says so.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Reads an `.npy` file.
    public static func read(_ url: URL) throws -> TypedArray {
        try decode(readFileBytes(url), path: url.path)
    }

    /// Reads an `.npy` file of any supported type as a Float32 tensor.
    public static func readTensor(_ url: URL) throws -> Tensor {
        try read(url).tensor()
    }

    /// Parses the bytes of an `.npy` file; `path` only names the file in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> TypedArray {
        guard case .array(let array) = try decodeAny(data, path: path, allowObjects: false) else {
            throw FormatError.file(path: path, reason: "npy: object arrays (dtype 'O': a list of matrices, such as mel features) cannot be read as one numeric array")
        }
        return array
    }

    /// Reads the reference's feature files as a list of matrices: a 1-D object array of 2-D arrays (one
    /// per caption, ragged), a 3-D array (one matrix per first index), or a single 2-D array.
    /// Object arrays are unpickled with ``PickleReader``, which rebuilds NumPy arrays and nothing else.
    public static func readMatrices(_ url: URL) throws -> [Tensor] {
        let path = url.path
        switch try decodeAny(readFileBytes(url), path: path, allowObjects: true) {
        case .array(let array):
            let t = array.tensor()
            switch t.rank {
            case 2: return [t]
            case 3: return try (0..<t.shape[0]).map { try t.slice(axis: 0, start: $0, end: $0 + 1).squeezed(axis: 0) }
            default: throw FormatError.file(path: path, reason: "npy: expected matrices, got an array of shape \(t.shape)")
            }
        case .objectArray(let shape, let elements):
            guard shape.count == 1 else { throw FormatError.file(path: path, reason: "npy: object array of shape \(shape) is not a list") }
            return try elements.enumerated().map { i, element in
                guard case .array(let a) = element, a.shape.count == 2 else {
                    throw FormatError.file(path: path, reason: "npy: element \(i) of the object array is not a 2-D numeric array")
                }
                return a.tensor()
            }
        default:
            throw FormatError.file(path: path, reason: "npy: unexpected content")
        }
    }

    static func decodeAny(_ data: Data, path: String, allowObjects: Bool) throws -> PickleValue {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "npy: " + reason) }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a NumPy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported format version \(major).\(bytes[7])")
        }
        guard headerStart + headerLength <= data.count else {
            throw fail("header of \(headerLength) bytes runs past the end of the \(data.count)-byte file")
        }
        let headerData = data.subdata(in: data.startIndex + headerStart ..< data.startIndex + headerStart + headerLength)
        guard let header = String(data: headerData, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        let fields = try parseHeader(header, fail)
        guard case .string(let descr)? = fields["descr"] else {
            if fields["descr"] != nil { throw fail("structured dtypes are not supported (descr \(header))") }
            throw fail("header has no 'descr'")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else { throw fail("header has no 'fortran_order'") }
        guard case .tuple(let shape)? = fields["shape"] else { throw fail("header has no 'shape'") }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("negative dimension in shape \(shape)") }
        let dataStart = headerStart + headerLength
        if descr.dropFirst() == "O" {
            guard allowObjects else { throw fail("object arrays (dtype 'O': a list of matrices, such as mel features) cannot be read as one numeric array") }
            // The data is a pickle of the array, as numpy.save writes it with allow_pickle.
            var offset = dataStart
            let value = try PickleReader(data: data, path: path).decode(from: &offset)
            guard case .objectArray = value else { throw fail("object array payload is not a NumPy object array") }
            return value
        }
        guard !fortran else { throw fail("Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray") }
        let (type, bigEndian) = try scalarType(descr, fail)
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(shape) is too large") }
            count = product
        }
        let (needed, tooLarge) = count.multipliedReportingOverflow(by: type.byteCount)
        guard !tooLarge else { throw fail("shape \(shape) of \(descr) is too large") }
        let available = data.count - dataStart
        guard available == needed else {
            throw fail(available < needed
                ? "truncated: shape \(shape) of \(descr) needs \(needed) data bytes, the file has \(available)"
                : "shape \(shape) of \(descr) needs \(needed) data bytes, the file has \(available) (trailing bytes)")
        }
        var payload = data.subdata(in: data.startIndex + dataStart ..< data.startIndex + data.count)
        if bigEndian && type.byteCount > 1 {
            payload.withUnsafeMutableBytes { raw in
                let width = type.byteCount
                for i in 0..<count {
                    var lo = i * width, hi = lo + width - 1
                    while lo < hi { raw.swapAt(lo, hi); lo += 1; hi -= 1 }
                }
            }
        }
        return .array(try TypedArray(scalarType: type, shape: shape, bytes: payload))
    }

    /// Writes matrices as the reference's feature files do: a 1-D object array of float32 arrays
    /// (`numpy.save` with `allow_pickle`), which `numpy.load(..., allow_pickle=True)` reads back.
    public static func writeMatrices(_ matrices: [Tensor], to url: URL) throws {
        let payload = try PickleWriter.encode(.objectArray(shape: [matrices.count], elements: matrices.map { .array(TypedArray($0)) }))
        var header = "{'descr': '|O', 'fortran_order': False, 'shape': (\(matrices.count),), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(payload)
        try writeFileAtomically(data, to: url)
    }

    /// Writes an array as an `.npy` file (version 1.0, little-endian, C order), atomically.
    public static func write(_ array: TypedArray, to url: URL) throws {
        try writeFileAtomically(encode(array), to: url)
    }

    /// Writes a tensor as a float32 `.npy` file.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try write(TypedArray(tensor), to: url)
    }

    /// The bytes of an `.npy` file holding `array`.
    public static func encode(_ array: TypedArray) -> Data {
        let descr: String
        switch array.scalarType {
        case .bool: descr = "|b1"
        case .int8: descr = "|i1"
        case .uint8: descr = "|u1"
        case .float16: descr = "<f2"
        case .bfloat16: descr = "<V2"  // NumPy has no bfloat16; stored as raw 2-byte values
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        case .int16: descr = "<i2"
        case .int32: descr = "<i4"
        case .int64: descr = "<i8"
        case .uint16: descr = "<u2"
        case .uint32: descr = "<u4"
        case .uint64: descr = "<u8"
        }
        let shapeText = array.shape.count == 1 ? "(\(array.shape[0]),)" : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so the data starts on a 64-byte boundary; the header ends with a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0])
        let length = header.utf8.count
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(array.bytes)
        return data
    }

    private static func scalarType(_ descr: String, _ fail: (String) -> FormatError) throws -> (ScalarType, Bool) {
        guard descr.count >= 3 else { throw fail("unsupported dtype '\(descr)'") }
        let order = descr.first!
        let code = String(descr.dropFirst())
        let bigEndian = order == ">"
        guard "<>|=".contains(order) else { throw fail("unsupported dtype '\(descr)'") }
        let types: [String: ScalarType] = [
            "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
            "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool,
        ]
        guard let type = types[code] else { throw fail("unsupported dtype '\(descr)'") }
        return (type, bigEndian)
    }

    enum HeaderValue: Equatable {
        case string(String), bool(Bool), tuple([Int]), other
    }

    /// Parses the Python dict literal of an `.npy` header: string keys; values that are strings,
    /// `True`/`False` or tuples of integers (anything else is kept as `.other`).
    static func parseHeader(_ text: String, _ fail: (String) -> FormatError) throws -> [String: HeaderValue] {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func skipSpace() { while i < chars.count && (chars[i] == " " || chars[i] == "\n" || chars[i] == "\t") { i += 1 } }
        func quoted() throws -> String {
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("malformed header: \(text)") }
            let quote = chars[i]
            i += 1
            var s = ""
            while i < chars.count && chars[i] != quote { s.unicodeScalars.append(chars[i]); i += 1 }
            guard i < chars.count else { throw fail("malformed header (unterminated string): \(text)") }
            i += 1
            return s
        }
        skipSpace()
        guard i < chars.count, chars[i] == "{" else { throw fail("malformed header (expected a dict): \(text)") }
        i += 1
        var result: [String: HeaderValue] = [:]
        while true {
            skipSpace()
            guard i < chars.count else { throw fail("malformed header (unterminated dict): \(text)") }
            if chars[i] == "}" { break }
            let key = try quoted()
            skipSpace()
            guard i < chars.count, chars[i] == ":" else { throw fail("malformed header (expected ':'): \(text)") }
            i += 1
            skipSpace()
            guard i < chars.count else { throw fail("malformed header: \(text)") }
            if chars[i] == "'" || chars[i] == "\"" {
                result[key] = .string(try quoted())
            } else if chars[i] == "(" {
                i += 1
                var dims: [Int] = []
                var number = ""
                while i < chars.count && chars[i] != ")" {
                    let c = chars[i]
                    if c == "," {
                        if !number.isEmpty {
                            guard let d = Int(number) else { throw fail("malformed shape in header: \(text)") }
                            dims.append(d)
                            number = ""
                        }
                    } else if c != " " && c != "L" {
                        number.unicodeScalars.append(c)
                    }
                    i += 1
                }
                guard i < chars.count else { throw fail("malformed header (unterminated shape): \(text)") }
                if !number.isEmpty {
                    guard let d = Int(number) else { throw fail("malformed shape in header: \(text)") }
                    dims.append(d)
                }
                i += 1
                result[key] = .tuple(dims)
            } else {
                // A bare word (True/False) or a nested structure (structured dtypes): read to the next
                // top-level comma.
                var depth = 0
                var word = ""
                while i < chars.count {
                    let c = chars[i]
                    if c == "[" || c == "(" || c == "{" { depth += 1 }
                    if c == "]" || c == ")" || c == "}" {
                        if depth == 0 { break }
                        depth -= 1
                    }
                    if c == "," && depth == 0 { break }
                    word.unicodeScalars.append(c)
                    i += 1
                }
                let trimmed = word.trimmingCharacters(in: .whitespaces)
                result[key] = trimmed == "True" ? .bool(true) : trimmed == "False" ? .bool(false) : .other
            }
            skipSpace()
            if i < chars.count && chars[i] == "," { i += 1 }
        }
        return result
    }
}

extension Tensor {
    /// Reads a `.npy` file (any supported numeric type, converted to Float32).
    public init(npyFile url: URL) throws {
        self = try NPY.readTensor(url)
    }
}
