import Foundation
import TestSupport
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

/// Pickles written by Python (every protocol), NumPy 2 and a Python 2-style assembler
/// (Tools/fixtures/make_interop_fixtures.py), against the values the script recorded as tagged JSON.
@Suite struct PickleFixtureTests {
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.url("interop/\(name)"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The script's tagged JSON as a PickleValue (sets sorted, as the JSON lists them).
    static func expected(_ tagged: Any) throws -> PickleValue {
        let t = try #require(tagged as? [String: Any])
        let type = try #require(t["type"] as? String)
        let v = t["value"]
        func items() throws -> [PickleValue] { try (v as? [Any] ?? []).map { try expected($0) } }
        switch type {
        case "none": return .none
        case "bool": return .bool(try #require(v as? Bool))
        case "int":
            let text = try #require(v as? String)
            return .int(try #require(Int64(text)))
        case "float":
            let bits = try #require(t["bits"] as? String)
            return .float(Double(bitPattern: try #require(UInt64(bits.dropFirst(2), radix: 16))))
        case "str": return .string(try #require(v as? String))
        case "bytes":
            let hex = Array(try #require(v as? String))
            return .bytes(stride(from: 0, to: hex.count, by: 2).map { UInt8(String(hex[$0...$0 + 1]), radix: 16)! })
        case "list": return .list(try items())
        case "tuple": return .tuple(try items())
        case "set", "frozenset": return .set(try items())
        case "dict", "OrderedDict":
            return .dict(try (v as? [[Any]] ?? []).map { PickleEntry(key: try expected($0[0]), value: try expected($0[1])) })
        case "ndarray":
            let shape = try #require(t["shape"] as? [Int]), values = try #require(v as? [Any])
            let numbers = values.map { ($0 as? NSNumber)?.doubleValue ?? 0 }
            let dtype = try #require(t["dtype"] as? String)
            let bytes: Data
            let scalar: ScalarType
            switch dtype {
            case "float32": (scalar, bytes) = (.float32, numbers.map { Float($0) }.withUnsafeBufferPointer { Data(buffer: $0) })
            case "float64": (scalar, bytes) = (.float64, numbers.withUnsafeBufferPointer { Data(buffer: $0) })
            case "int32": (scalar, bytes) = (.int32, numbers.map { Int32($0) }.withUnsafeBufferPointer { Data(buffer: $0) })
            case "int64": (scalar, bytes) = (.int64, values.map { ($0 as? NSNumber)?.int64Value ?? 0 }.withUnsafeBufferPointer { Data(buffer: $0) })
            case "uint8": (scalar, bytes) = (.uint8, Data(numbers.map { UInt8($0) }))
            case "bool": (scalar, bytes) = (.bool, Data(values.map { ($0 as? Bool ?? false) ? 1 : 0 }))
            default: throw TensorError.invalidArgument("fixture dtype \(dtype)")
            }
            return .array(try TypedArray(scalarType: scalar, shape: shape, bytes: bytes))
        case "numpy_scalar":
            let dtype = try #require(t["dtype"] as? String)
            if dtype.hasPrefix("float") { return .float(try #require((v as? NSNumber)?.doubleValue)) }
            if dtype == "bool" { return .bool(try #require(v as? Bool)) }
            return .int(try #require((v as? NSNumber)?.int64Value))
        default: throw TensorError.invalidArgument("fixture type \(type)")
        }
    }

    /// Sets compare without order.
    static func normalized(_ v: PickleValue) -> PickleValue {
        switch v {
        case .set(let items): return .set(items.map(normalized).sorted { "\($0)" < "\($1)" })
        case .list(let items): return .list(items.map(normalized))
        case .tuple(let items): return .tuple(items.map(normalized))
        case .dict(let entries): return .dict(entries.map { PickleEntry(key: normalized($0.key), value: normalized($0.value)) })
        default: return v
        }
    }

    @Test(arguments: 0...5)
    func everyProtocolDecodes(_ protocolVersion: Int) throws {
        let info = try Self.json("basic_expected.json")
        let omitted = Set(((info["files"] as? [String: Any])?["basic_p\(protocolVersion).pickle"] as? [String: Any])?["omitted_keys"] as? [String] ?? [])
        let tagged = try #require(info["value"])
        guard case .dict(let all) = try Self.expected(tagged) else { Issue.record("not a dict"); return }
        let expected = PickleValue.dict(all.filter { entry in
            if case .string(let k) = entry.key { return !omitted.contains(k) }
            return true
        })
        let value = try PickleReader.read(fixtures.url("interop/basic_p\(protocolVersion).pickle"))
        #expect(Self.normalized(value) == Self.normalized(expected), "protocol \(protocolVersion)")
        // Windows separators come through untouched.
        #expect(value["path"] == .string(#"CUB_200_2011\images\001.Black_footed_Albatross\x.jpg"#))
    }

    @Test(arguments: ["numpy_arrays.pickle", "numpy_arrays_p4.pickle", "embeddings.pickle", "embeddings_py2.pickle",
                      "filenames.pickle", "filenames_py2.pickle", "class_info.pickle", "ordered_dict.pickle"])
    func referenceStylePicklesDecode(_ name: String) throws {
        let info = try #require(try Self.json("pickle_misc_expected.json")[name] as? [String: Any])
        let value = try PickleReader.read(fixtures.url("interop/\(name)"))
        if name.hasPrefix("embeddings") {
            // Random float32 matrices: their values are in a safetensors file, not in the JSON.
            let stored = try fixtures.load("interop/embeddings_expected")
            let names = name.contains("py2") ? ["py2_0", "py2_1"] : ["e0", "e1", "e2"]
            let tensors = try value.tensors()
            #expect(tensors.count == names.count)
            for (t, n) in zip(tensors, names) { #expect(t.isIdentical(to: try stored.tensor(n)), "\(name) \(n)") }
            return
        }
        let tagged = try #require(info["value"])
        let expected = try Self.expected(tagged)
        #expect(Self.normalized(value) == Self.normalized(expected), "\(name)")
    }

    /// Every truncation, and many single-byte corruptions, of real pickles and mel files end in an error or a
    /// value — never a crash, a hang or an unbounded allocation.
    @Test(arguments: ["basic_p0.pickle", "basic_p2.pickle", "basic_p5.pickle", "numpy_arrays.pickle", "embeddings_py2.pickle", "mel_ragged.npy"])
    func damagedInputNeverCrashes(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: fixtures.url("interop/\(name)")))
        func attempt(_ data: [UInt8]) {
            if name.hasSuffix(".npy") {
                _ = try? NPY.decodeAny(Data(data), path: name, allowObjects: true)
            } else {
                _ = try? PickleReader(data: Data(data), path: name).decode()
            }
        }
        for cut in 0..<bytes.count { attempt(Array(bytes.prefix(cut))) }
        var rng = RandomGenerator(seed: 17)
        for _ in 0..<400 {
            var copy = bytes
            copy[rng.nextInt(below: copy.count)] = UInt8(truncatingIfNeeded: rng.next())
            attempt(copy)
        }
        // Losing the last byte (STOP, or the end of the data) is always an error.
        if name.hasSuffix(".npy") {
            #expect(throws: FormatError.self) { try NPY.decodeAny(Data(bytes.dropLast()), path: name, allowObjects: true) }
        } else {
            #expect(throws: FormatError.self) { try PickleReader(data: Data(bytes.dropLast()), path: name).decode() }
        }
    }

    @Test func tooLargeIntegersAreRefused() throws {
        #expect { try PickleReader.read(fixtures.url("interop/too_big_int.pickle")) } throws: { "\($0)".contains("does not fit in 64 bits") }
    }

    @Test func melFeatureFilesBecomeMatrices() throws {
        let expected = try fixtures.load("interop/mel_expected")
        let ragged = try NPY.readMatrices(fixtures.url("interop/mel_ragged.npy"))
        #expect(ragged.map(\.shape) == [[5, 40], [3, 40], [7, 40]])
        for (i, m) in ragged.enumerated() { #expect(m.isIdentical(to: try expected.tensor("m\(i)"))) }
        let plain = try NPY.readMatrices(fixtures.url("interop/mel_plain.npy"))
        #expect(plain.count == 2 && plain[0].shape == [6, 40])
        #expect(try Tensor.stack(plain).isIdentical(to: expected.tensor("plain")))
        // Written back the way numpy.save writes object arrays, and read again.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mel-\(UInt64.random(in: 0...UInt64.max)).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPY.writeMatrices(ragged, to: url)
        let again = try NPY.readMatrices(url)
        #expect(again.count == 3 && zip(again, ragged).allSatisfy { $0.isIdentical(to: $1) })
        // The plain reader still refuses object arrays, saying what they are, without internal names.
        #expect { try NPY.read(fixtures.url("interop/mel_ragged.npy")) } throws: { "\($0)".contains("object arrays (dtype 'O'") && !"\($0)".contains("NPY.") }
    }
}
