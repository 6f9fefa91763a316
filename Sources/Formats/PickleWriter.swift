import Foundation
import S2IGANTensor

/// Writes Python pickles (protocol 3) of plain values and NumPy arrays, so that Python's `pickle.load`
/// (with NumPy installed, 1.x or 2.x) reads the files the S2IGAN reference expects: `filenames.pickle`
/// (a list of str), `class_info.pickle` (a list of int), `speech_embeddings_*.pickle` (a list of float32
/// arrays).
public enum PickleWriter {
    /// The pickle bytes of `value`. Sets and object arrays are not written.
    public static func encode(_ value: PickleValue) throws -> Data {
        var out: [UInt8] = [0x80, 3]
        try write(value, into: &out, depth: 0)
        out.append(0x2E)  // STOP
        return Data(out)
    }

    /// Writes `value` to `url` atomically.
    public static func write(_ value: PickleValue, to url: URL) throws {
        try writeFileAtomically(encode(value), to: url)
    }

    private static func write(_ value: PickleValue, into out: inout [UInt8], depth: Int) throws {
        guard depth < 1000 else { throw FormatError.unsupported("pickle: value nested more than 1000 levels deep") }
        switch value {
        case .none: out.append(0x4E)
        case .bool(let b): out.append(b ? 0x88 : 0x89)
        case .int(let v):
            if let small = Int32(exactly: v) {
                out.append(0x4A)
                out += littleEndian(UInt32(bitPattern: small), 4)
            } else {
                out += [0x8A, 8]  // LONG1 with 8 bytes, two's complement
                out += littleEndian(UInt64(bitPattern: v), 8)
            }
        case .float(let d):
            out.append(0x47)  // BINFLOAT, big-endian
            out += littleEndian(d.bitPattern, 8).reversed()
        case .string(let s):
            let utf8 = Array(s.utf8)
            out.append(0x58)
            out += littleEndian(UInt32(utf8.count), 4)
            out += utf8
        case .bytes(let b):
            out.append(0x42)
            out += littleEndian(UInt32(b.count), 4)
            out += b
        case .list(let items):
            out.append(0x5D)  // EMPTY_LIST
            for chunk in stride(from: 0, to: items.count, by: 1000) {
                out.append(0x28)  // MARK
                for item in items[chunk..<Swift.min(items.count, chunk + 1000)] { try write(item, into: &out, depth: depth + 1) }
                out.append(0x65)  // APPENDS
            }
        case .tuple(let items):
            out.append(0x28)
            for item in items { try write(item, into: &out, depth: depth + 1) }
            out.append(0x74)  // TUPLE
        case .dict(let entries):
            out.append(0x7D)  // EMPTY_DICT
            if !entries.isEmpty {
                out.append(0x28)
                for e in entries {
                    try write(e.key, into: &out, depth: depth + 1)
                    try write(e.value, into: &out, depth: depth + 1)
                }
                out.append(0x75)  // SETITEMS
            }
        case .array(let array): try writeArray(array, into: &out)
        case .objectArray(let shape, let elements):
            guard shape.reduce(1, *) == elements.count else {
                throw FormatError.shapeMismatch("pickle: object array of shape \(shape) with \(elements.count) elements")
            }
            try writeNumPy(shape: shape, typeCode: "O8", byteOrder: "|", flags: 63, into: &out) { out in
                try write(.list(elements), into: &out, depth: depth + 1)
            }
        case .set, .global:
            throw FormatError.unsupported("pickle: writing sets and globals is not supported")
        }
    }

    /// A numeric array, as NumPy pickles it.
    private static func writeArray(_ array: TypedArray, into out: inout [UInt8]) throws {
        let codes: [ScalarType: String] = [.float32: "<f4", .float64: "<f8", .int32: "<i4", .int64: "<i8", .uint8: "|u1", .bool: "|b1",
                                           .float16: "<f2", .int16: "<i2", .int8: "|i1"]
        guard let code = codes[array.scalarType] else {
            throw FormatError.unsupported("pickle: NumPy arrays of \(array.scalarType) are not written")
        }
        try writeNumPy(shape: array.shape, typeCode: String(code.dropFirst()), byteOrder: String(code.prefix(1)), flags: 0, into: &out) { out in
            try write(.bytes(Array(array.bytes)), into: &out, depth: 1)
        }
    }

    /// `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')` followed by `__setstate__`
    /// `(1, shape, dtype, False, data)`, the way NumPy pickles an array; `data` writes the last item.
    private static func writeNumPy(shape: [Int], typeCode: String, byteOrder: String, flags: Int64, into out: inout [UInt8],
                                   data: (inout [UInt8]) throws -> Void) throws {
        func global(_ module: String, _ name: String) { out.append(0x63); out += Array("\(module)\n\(name)\n".utf8) }
        global("numpy.core.multiarray", "_reconstruct")
        global("numpy", "ndarray")
        out += [0x4B, 0, 0x85]                       // (0,)
        out += [0x43, 1, UInt8(ascii: "b")]          // b'b'
        out += [0x87, 0x52]                          // TUPLE3, REDUCE
        out.append(0x28)                             // state tuple
        out += [0x4B, 1]                             // version 1
        try write(.tuple(shape.map { .int(Int64($0)) }), into: &out, depth: 1)
        global("numpy", "dtype")
        try write(.string(typeCode), into: &out, depth: 1)
        out += [0x89, 0x88, 0x87, 0x52]              // (code, False, True), REDUCE
        out.append(0x28)                             // dtype state (3, order, None, None, None, -1, -1, flags)
        out += [0x4B, 3]
        try write(.string(byteOrder), into: &out, depth: 1)
        out += [0x4E, 0x4E, 0x4E]
        try write(.int(-1), into: &out, depth: 1)
        try write(.int(-1), into: &out, depth: 1)
        try write(.int(flags), into: &out, depth: 1)
        out += [0x74, 0x62]                          // TUPLE, BUILD
        out.append(0x89)                             // not Fortran-ordered
        try data(&out)
        out += [0x74, 0x62]                          // TUPLE, BUILD
    }

    private static func littleEndian<T: FixedWidthInteger>(_ v: T, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
    }
}

extension PickleValue {
    /// A list of float32 NumPy arrays, as the reference's speech-embedding pickles hold.
    public static func arrayList(_ tensors: [Tensor]) -> PickleValue { .list(tensors.map { .array(TypedArray($0)) }) }

    /// The tensors of a list of numeric arrays (converted to Float32).
    public func tensors() throws -> [Tensor] {
        guard let items = items else { throw FormatError.unsupported("pickle: expected a list of arrays") }
        return try items.enumerated().map { i, item in
            guard case .array(let a) = item else { throw FormatError.unsupported("pickle: item \(i) is not a numeric array") }
            return a.tensor()
        }
    }
}
