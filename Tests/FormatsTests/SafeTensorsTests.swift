import TestSupport
import Foundation
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

@Suite struct SafeTensorsTests {
    /// A file assembled byte by byte from the format description.
    static func handBuilt(_ header: String, data: [UInt8]) -> Data {
        var d = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8))
        d.append(contentsOf: data)
        return d
    }

    @Test func readsAHandBuiltFile() throws {
        let bytes = Self.handBuilt(#"{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}  "#,
                                   data: [7, 0, 0, 0, 0, 0, 0xC0, 0x3F, 0, 0, 0x20, 0xC1])
        let f = try SafeTensorsFile.decode(bytes)
        #expect(f.metadata == ["k": "v"] && f.names == ["a", "b"])
        #expect(try f.arrays["a"]!.integerValues() == [7])
        #expect(try f.tensor("b").scalars == [1.5, -10])
    }

    @Test func readsWhatThePythonPackageWrites() throws {
        let f = try SafeTensorsFile.read(fixtures.url("python_written.safetensors"))
        #expect(f.metadata["epoch"] == "3" && f.metadata["note"] == "written by safetensors.numpy")
        #expect(try f.tensor("weight").scalars == [0, 0.1, 0.2, 0.3, 0.4, 0.5].map { Float($0) })
        #expect(try f.tensor("bias").scalars == [1, 2, 3])
        #expect(try f.arrays["step"]!.integerValues() == [42])
        #expect(try f.tensor("half").scalars == [0.5, -2])
        #expect(try f.tensor("scalar").shape == [] && f.tensor("scalar").item() == 7.25)
        #expect(try f.tensor("empty").shape == [0])
        let f64 = try SafeTensorsFile.read(fixtures.url("python_written_f64.safetensors"))
        #expect(f64.arrays["x"]!.doubleValues() == [0.1, -3.0])
    }

    @Test func roundTripsAndPadsTheHeader() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UInt64.random(in: 0...UInt64.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var file = SafeTensorsFile(tensors: ["conv1.weight": try Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4]), "bn.running_mean": Tensor([0.5])],
                                   metadata: ["epoch": "12"])
        file.arrays["steps"] = try TypedArray(int64: [3], shape: [1])
        try file.write(to: url)
        let back = try SafeTensorsFile.read(url)
        #expect(back.metadata == ["epoch": "12"] && back.names == ["bn.running_mean", "conv1.weight", "steps"])
        #expect(try back.tensor("conv1.weight").isIdentical(to: file.tensor("conv1.weight")))
        #expect(back.arrays["steps"] == file.arrays["steps"])
        let bytes = try file.encoded()
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
    }

    @Test func rejectsCorruptFilesWithReasons() throws {
        func reason(_ header: String, _ data: [UInt8]) -> String {
            do {
                _ = try SafeTensorsFile.decode(Self.handBuilt(header, data: data), path: "m.safetensors")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(reason(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, [0, 0, 0, 0]).contains("outside the 4-byte data section"))
        #expect(reason(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]).contains("needs 8 bytes"))
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#, [UInt8](repeating: 0, count: 8)).contains("overlaps"))
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [UInt8](repeating: 0, count: 8)).contains("gap"))
        #expect(reason(#"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, [UInt8](repeating: 0, count: 8)).contains("unsupported dtype C64"))
        #expect(reason(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, []).contains("invalid shape"))
        #expect(reason(#"[1,2]"#, []).contains("not a JSON object"))
        #expect(reason(#"{"__metadata__":{"k":1}}"#, []).contains("not a string"))
        #expect(reason(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [UInt8](repeating: 0, count: 12)).contains("cover 4"))
        var huge = Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
        huge.append(Data("{}".utf8))
        #expect { try SafeTensorsFile.decode(huge, path: "m.safetensors") } throws: { "\($0)".contains("runs past the end") }
        #expect { try SafeTensorsFile.decode(Data([1, 2]), path: "m.safetensors") } throws: { "\($0)" == "'m.safetensors': safetensors: file of 2 bytes is too short for the 8-byte header length" }
        #expect { try SafeTensorsFile.read(URL(fileURLWithPath: "/nonexistent/w.safetensors")) } throws: { "\($0)".contains("no such file") }
    }
}
