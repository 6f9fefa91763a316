import Foundation
import S2IGANTensor

/// Reads a whole file for the format readers, turning I/O failures into ``FormatError/file(path:reason:)``.
public func readFileBytes(_ url: URL) throws -> Data {
    let path = url.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw FormatError.file(path: path, reason: "no such file")
    }
    guard !isDirectory.boolValue else { throw FormatError.file(path: path, reason: "is a directory, not a file") }
    do {
        return try Data(contentsOf: url, options: [.mappedIfSafe])
    } catch {
        throw FormatError.file(path: path, reason: "cannot be read: " + (posixCode(of: error).map(systemReason) ?? readableDescription(of: error)))
    }
}

/// Runs `body`, which writes into `folder`; when it throws, a `folder` that did not exist before is removed with
/// everything in it, so a failed command (a full disk, a bad input half-way) leaves no empty or half-filled
/// output folder that a later run would take for a result. A folder that existed is left to `body`, and so is one
/// that holds `keeper` by then (a training run's checkpoint: work to resume, not debris).
public func removingOutputOnFailure<Result>(_ folder: URL, keepingIfItHolds keeper: String? = nil, _ body: () throws -> Result) throws -> Result {
    let existed = FileManager.default.fileExists(atPath: folder.path)
    do {
        return try body()
    } catch {
        let kept = keeper.map { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) } ?? false
        if !existed && !kept { try? FileManager.default.removeItem(at: folder) }
        throw error
    }
}

extension JSONEncoder {
    /// Sorted keys, so equal values encode to equal bytes.
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Element types shared by the NumPy and safetensors formats.
public enum ScalarType: String, Sendable, CaseIterable {
    case float16, bfloat16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// Whether values of this type are integers (or booleans).
    public var isInteger: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return false
        default: return true
        }
    }
}

/// A typed, little-endian, row-major array as stored in a tensor file, before conversion.
public struct TypedArray: Sendable, Equatable {
    public let scalarType: ScalarType
    public let shape: [Int]
    /// The raw little-endian bytes, `count * scalarType.byteCount` of them.
    public let bytes: Data

    /// - Throws: if the byte count does not match the shape and type.
    public init(scalarType: ScalarType, shape: [Int], bytes: Data) throws {
        try Shape.validate(shape, "TypedArray")
        let expected = Shape.count(shape) * scalarType.byteCount
        guard bytes.count == expected else {
            throw FormatError.shapeMismatch("TypedArray: \(scalarType) \(shape) needs \(expected) bytes, got \(bytes.count)")
        }
        (self.scalarType, self.shape, self.bytes) = (scalarType, shape, bytes)
    }

    /// A float32 array holding a tensor's values.
    public init(_ tensor: Tensor) {
        scalarType = .float32
        shape = tensor.shape
        bytes = tensor.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// An int64 array.
    public init(int64 values: [Int64], shape: [Int]) throws {
        try self.init(scalarType: .int64, shape: shape, bytes: values.withUnsafeBufferPointer { Data(buffer: $0) })
    }

    /// A float64 array (metric statistics: means and covariances).
    public init(float64 values: [Double], shape: [Int]) throws {
        try self.init(scalarType: .float64, shape: shape, bytes: values.withUnsafeBufferPointer { Data(buffer: $0) })
    }

    /// Number of elements.
    public var count: Int { Shape.count(shape) }

    /// The values converted to Double (exact for all types but 64-bit integers beyond 2^53).
    public func doubleValues() -> [Double] {
        var out = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { out[i] = element(raw, i) }
        }
        return out
    }

    /// The values as integers.
    /// - Throws: for floating-point arrays.
    public func integerValues() throws -> [Int] {
        guard scalarType.isInteger else {
            throw FormatError.unsupported("integerValues: the array holds \(scalarType) values, not integers")
        }
        var out = [Int](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                switch scalarType {
                case .int64: out[i] = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                case .uint64: out[i] = Int(truncatingIfNeeded: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
                default: out[i] = Int(element(raw, i))
                }
            }
        }
        return out
    }

    /// The values converted to a Float32 tensor (rounding float64 and large integers).
    public func tensor() -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBytes { raw in
                if scalarType == .float32 {
                    if let base = raw.baseAddress, let target = out.baseAddress, !raw.isEmpty {
                        UnsafeMutableRawPointer(target).copyMemory(from: base, byteCount: raw.count)
                    }
                } else {
                    for i in 0..<count { out[i] = Float(element(raw, i)) }
                }
            }
        }
        return t
    }

    @inline(__always)
    private func element(_ raw: UnsafeRawBufferPointer, _ i: Int) -> Double {
        switch scalarType {
        case .float32: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
        case .float64: return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
        case .float16: return Double(halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
        case .bfloat16: return Double(Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16))
        case .int8: return Double(raw.load(fromByteOffset: i, as: Int8.self))
        case .uint8: return Double(raw.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return raw.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        case .int16: return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
        case .uint16: return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        case .int32: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
        case .uint32: return Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
        case .int64: return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
        case .uint64: return Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
        }
    }
}

/// IEEE 754 half precision to Float, including subnormals, infinities and NaN.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
}
