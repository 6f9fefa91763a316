import Foundation
import S2IGANTensor

/// A PyTorch checkpoint (`torch.save` output): the zip format of PyTorch ≥ 1.6 (any folder name,
/// `byteorder` entry, aligned records) and the legacy format before it. Tensors are rebuilt from their
/// storages (float32/64, float16, bfloat16, int8–64, uint8, bool; any strides and offsets, shared
/// storages) as contiguous arrays; nothing is executed.
public struct TorchCheckpoint {
    /// The saved object with every tensor replaced by a `.array` value.
    public let root: PickleValue

    static let storageTypes: [String: ScalarType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    /// Reads a `.pth` / `.pt` file.
    public static func read(_ url: URL) throws -> TorchCheckpoint {
        let data = try readFileBytes(url)
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try readZip(data, path: url.path) }
        return try readLegacy(data, path: url.path)
    }

    /// The state dict: the arrays of the saved dict — or of the dict under `key` (by default `state_dict`
    /// when the top level holds no arrays) — in saved order, with a leading `module.` (from
    /// `DataParallel`) removed when `stripModulePrefix`.
    public func stateDict(under key: String? = nil, stripModulePrefix: Bool = true) throws -> [(String, TypedArray)] {
        var dict = root
        if let key {
            guard let inner = root[key] else { throw FormatError.unsupported("checkpoint: no entry '\(key)'") }
            dict = inner
        } else if case .dict(let entries) = root, !entries.contains(where: { if case .array = $0.value { return true }; return false }),
                  let inner = root["state_dict"] {
            dict = inner
        }
        guard case .dict(let entries) = dict else { throw FormatError.unsupported("checkpoint: the state dict is not a dict") }
        return entries.compactMap { entry in
            guard case .string(var name) = entry.key, case .array(let array) = entry.value else { return nil }
            if stripModulePrefix && name.hasPrefix("module.") { name.removeFirst("module.".count) }
            return (name, array)
        }
    }

    // MARK: - Formats

    private static func readZip(_ data: Data, path: String) throws -> TorchCheckpoint {
        let zip = try ZipArchive(data, path: path)
        guard let pickleName = zip.names.first(where: { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }) else {
            throw FormatError.file(path: path, reason: "checkpoint: no data.pkl in the archive")
        }
        let folder = String(pickleName.dropLast("data.pkl".count))
        // Older checkpoints have no `byteorder`; when it is there it is read, and so CRC-checked.
        if zip.names.contains(folder + "byteorder"), String(decoding: try zip.contents(folder + "byteorder"), as: UTF8.self) != "little" {
            throw FormatError.file(path: path, reason: "checkpoint: big-endian checkpoints are not supported")
        }
        let main = try decodeWithPlaceholders(try zip.contents(pickleName), path: path, position: nil)
        var storages: [String: Data] = [:]
        let root = try resolve(main.value, path: path) { key in
            guard let (type, _) = main.storages[key] else {
                throw FormatError.file(path: path, reason: "checkpoint: tensor of unknown storage '\(key)'")
            }
            if let cached = storages[key] { return (cached, type) }
            let bytes = try zip.contents(folder + "data/" + key)
            storages[key] = bytes
            return (bytes, type)
        }
        return TorchCheckpoint(root: root)
    }

    private static func readLegacy(_ data: Data, path: String) throws -> TorchCheckpoint {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "checkpoint: " + reason) }
        // The first pickle is the 80-bit magic number 0x1950a86a20f9469cfc6c as a 10-byte LONG1.
        let magic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        guard data.count > 15, data.first == 0x80, Array(data.dropFirst(2).prefix(magic.count)) == magic else {
            throw fail("neither a zip archive nor a legacy PyTorch file (magic number missing)")
        }
        var position = 2 + magic.count
        let header = PickleReader(data: data, path: path)
        guard case .int(1001) = try header.decode(from: &position) else { throw fail("unsupported legacy protocol version") }
        _ = try header.decode(from: &position)  // sys_info
        let main = try decodeWithPlaceholders(data, path: path, position: &position)
        guard let keys = try header.decode(from: &position).items else { throw fail("storage key list missing") }
        let bytes = [UInt8](data)
        var storages: [String: Data] = [:]
        for keyValue in keys {
            guard case .string(let key) = keyValue, let (type, _) = main.storages[key] else { throw fail("unknown storage key in the key list") }
            guard position + 8 <= bytes.count else { throw fail("truncated before storage '\(key)'") }
            var count: UInt64 = 0
            for k in 0..<8 { count |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
            position += 8
            let length = Int(clamping: count) &* type.byteCount
            guard count <= UInt64(bytes.count), length >= 0, length <= bytes.count - position else {
                throw fail("storage '\(key)' of \(count) elements runs past the end of the file")
            }
            storages[key] = data.subdata(in: (data.startIndex + position)..<(data.startIndex + position + length))
            position += length
        }
        let root = try resolve(main.value, path: path) { key in
            guard let s = storages[key], let (type, _) = main.storages[key] else { throw fail("storage '\(key)' has no data") }
            return (s, type)
        }
        return TorchCheckpoint(root: root)
    }

    // MARK: - Tensors

    /// Decodes the main pickle, turning storages and tensor records into placeholders (their data may
    /// come later in the file): `("storage", key)` and `("tensor", key, offset, size, stride)`.
    private static func decodeWithPlaceholders(_ data: Data, path: String, position: UnsafeMutablePointer<Int>?)
        throws -> (value: PickleValue, storages: [String: (ScalarType, Int)]) {
        var storages: [String: (ScalarType, Int)] = [:]
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "checkpoint: " + reason) }
        let reader = PickleReader(data: data, path: path, persistentLoad: { pid in
            guard let items = pid.items, items.count >= 5, case .string("storage") = items[0], case .global(let typeName) = items[1],
                  case .string(let key) = items[2], case .int(let numel) = items[4], numel >= 0 else {
                throw fail("unexpected persistent id \(pid)")
            }
            let short = typeName.split(separator: ".").last.map(String.init) ?? typeName
            guard let type = storageTypes[short] else { throw fail("unsupported storage type \(typeName)") }
            storages[key] = (type, Int(numel))
            return .tuple([.string("storage"), .string(key)])
        }, reducer: { name, arguments in
            switch name {
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
                guard let a = arguments.items, a.count >= 4, let storage = a[0].items, storage.count == 2 else {
                    throw fail("unexpected tensor record")
                }
                return .tuple([.string("tensor"), storage[1], a[1], a[2], a[3]])
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
                guard let first = arguments.items?.first else { throw fail("unexpected parameter record") }
                return first
            default:
                return nil
            }
        })
        var start = position?.pointee ?? 0
        let value = try reader.decode(from: &start)
        position?.pointee = start
        return (value, storages)
    }

    /// Replaces tensor placeholders by contiguous arrays gathered from their storages.
    private static func resolve(_ value: PickleValue, path: String, storage: (String) throws -> (Data, ScalarType)) throws -> PickleValue {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "checkpoint: " + reason) }
        switch value {
        case .tuple(let items) where items.count == 5 && items[0] == .string("tensor"):
            guard case .string(let key) = items[1], case .int(let offset) = items[2], let size = items[3].items, let stride = items[4].items,
                  size.count == stride.count else { throw fail("malformed tensor record") }
            let shape = try size.map { v -> Int in guard case .int(let d) = v, d >= 0 else { throw fail("bad tensor size") }; return Int(d) }
            let strides = try stride.map { v -> Int in guard case .int(let d) = v, d >= 0 else { throw fail("bad tensor stride") }; return Int(d) }
            let (bytes, type) = try storage(key)
            return .array(try gather(bytes, type: type, offset: Int(offset), shape: shape, strides: strides, fail: fail))
        case .tuple(let items): return .tuple(try items.map { try resolve($0, path: path, storage: storage) })
        case .list(let items): return .list(try items.map { try resolve($0, path: path, storage: storage) })
        case .dict(let entries):
            return .dict(try entries.map { PickleEntry(key: $0.key, value: try resolve($0.value, path: path, storage: storage)) })
        default: return value
        }
    }

    /// The elements `offset + Σ index·stride` of a storage, in row-major order of `shape`.
    private static func gather(_ bytes: Data, type: ScalarType, offset: Int, shape: [Int], strides: [Int],
                               fail: (String) -> FormatError) throws -> TypedArray {
        let width = type.byteCount, available = bytes.count / width
        var count = 1, last = offset
        for (d, s) in zip(shape, strides) {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("tensor shape \(shape) is too large") }
            count = p
            guard d > 0 else { continue }
            // The furthest element, checked for overflow: sizes and strides come from the file.
            let (reach, farOverflow) = (d - 1).multipliedReportingOverflow(by: s)
            let (sum, sumOverflow) = last.addingReportingOverflow(reach)
            guard !farOverflow, !sumOverflow else { throw fail("tensor of shape \(shape), strides \(strides) reaches past any storage") }
            last = sum
        }
        guard !count.multipliedReportingOverflow(by: width).overflow else { throw fail("tensor shape \(shape) is too large") }
        guard offset >= 0, count == 0 || last < available else {
            throw fail("tensor of shape \(shape), strides \(strides), offset \(offset) reads past its storage of \(available) elements")
        }
        // Zero or repeating strides can make a tensor far larger than the storage it reads (a [2^40] view of one
        // float): that expansion has the same budget as an inflated archive member.
        let limit = ResourceLimits.current.decompressedBytes
        guard count * width <= Swift.max(bytes.count, limit) else {
            throw fail("tensor of shape \(shape), strides \(strides) expands its storage to \(count * width) bytes, past the limit of \(limit) "
                       + "(raise it with \(ResourceLimits.variable(for: \.decompressedBytes)))")
        }
        var out = Data(count: count * width)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                guard count > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
                var index = [Int](repeating: 0, count: shape.count)
                var element = offset
                for flat in 0..<count {
                    (d + flat * width).copyMemory(from: s + element * width, byteCount: width)
                    var k = shape.count - 1
                    while k >= 0 {
                        index[k] += 1
                        element += strides[k]
                        if index[k] < shape[k] { break }
                        element -= strides[k] * shape[k]
                        index[k] = 0
                        k -= 1
                    }
                }
            }
        }
        return try TypedArray(scalarType: type, shape: shape, bytes: out)
    }
}
