import TestSupport
import Foundation
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

@Suite struct NPYTests {
    func npy(_ name: String) -> URL { fixtures.url("npy/\(name).npy") }

    @Test func readsEveryTypeNumPyWrites() throws {
        let f32 = try NPY.read(npy("f32"))
        #expect(f32.scalarType == .float32 && f32.shape == [2, 3])
        #expect(f32.tensor().scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(try NPY.read(npy("f64")).doubleValues() == [0.5, -1.25, 1e300])
        #expect(try NPY.read(npy("i32")).integerValues() == [1, -2, 3, 2_147_483_647])
        #expect(try NPY.read(npy("i64")).integerValues() == [-1, 1 << 40, 7])
        #expect(try NPY.read(npy("u8")).integerValues() == [0, 1, 128, 255])
        #expect(try NPY.read(npy("bool")).integerValues() == [1, 0, 1])
        let scalar = try NPY.read(npy("scalar"))
        #expect(scalar.shape == [] && scalar.doubleValues() == [3.5])
        #expect(try NPY.read(npy("empty")).shape == [0, 3])
        #expect(try NPY.read(npy("f32_big_endian")).doubleValues() == [1.5, -2])
        #expect(try NPY.read(npy("v2_header")).doubleValues() == [1.25, -0.5])
        #expect(try Tensor(npyFile: npy("i32")).scalars == [1, -2, 3, Float(Int32.max)])
    }

    @Test func refusesWhatItDoesNotSupportByName() throws {
        #expect { try NPY.read(npy("fortran")) } throws: { "\($0)".contains("Fortran-ordered") }
        #expect { try NPY.read(npy("object")) } throws: { "\($0)".contains("object arrays") }
        #expect { try NPY.read(fixtures.url("npy/missing.npy")) } throws: { "\($0)".contains("missing.npy': no such file") }
    }

    @Test func roundTripsThroughItsOwnWriter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tensor(shape: [2, 1, 3], scalars: [1, -2, 3.5, 0, 1e-7, -1e7])
        try NPY.write(t, to: dir.appendingPathComponent("t.npy"))
        #expect(try NPY.readTensor(dir.appendingPathComponent("t.npy")).isIdentical(to: t))
        let ints = try TypedArray(int64: [5, -6, 1 << 50], shape: [3])
        try NPY.write(ints, to: dir.appendingPathComponent("i.npy"))
        #expect(try NPY.read(dir.appendingPathComponent("i.npy")) == ints)
        // The data starts on a 64-byte boundary, as NumPy writes it.
        let bytes = NPY.encode(TypedArray(t))
        #expect((bytes.count - 24) % 64 == 0)
        #expect(try NPY.decode(bytes).tensor().isIdentical(to: t))
    }

    @Test func truncatedAndLyingHeadersThrow() throws {
        let good = NPY.encode(TypedArray(Tensor([1, 2, 3])))
        #expect { try NPY.decode(good.dropLast(4), path: "t.npy") } throws: { "\($0)".contains("truncated: shape [3]") }
        #expect { try NPY.decode(good + Data([0, 0, 0, 0]), path: "t.npy") } throws: { "\($0)".contains("trailing bytes") }
        #expect { try NPY.decode(Data("hello world!".utf8), path: "x.npy") } throws: { "\($0)" == "'x.npy': npy: not a NumPy file (missing the \\x93NUMPY magic)" }
        var lying = Data(NPY.magic + [1, 0, 0xFF, 0x7F])
        lying.append(Data("{'descr': '<f4'".utf8))
        #expect { try NPY.decode(lying) } throws: { "\($0)".contains("runs past the end") }
        func withHeader(_ h: String) -> Data {
            var d = Data(NPY.magic + [1, 0, UInt8(h.utf8.count), 0])
            d.append(Data(h.utf8))
            return d
        }
        #expect { try NPY.decode(withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (0,), }")) } throws: { "\($0)".contains("unsupported dtype '<c8'") }
        #expect { try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }")) } throws: { "\($0)".contains("negative dimension") }
        #expect { try NPY.decode(withHeader("{'descr': '<f4', 'shape': (1,), }")) } throws: { "\($0)".contains("no 'fortran_order'") }
        #expect { try NPY.decode(withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }")) } throws: { "\($0)".contains("structured") }
        #expect { try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,")) } throws: { "\($0)".contains("malformed") }
        #expect { try NPY.decode(Data(NPY.magic + [9, 0, 0, 0])) } throws: { "\($0)".contains("unsupported format version 9.0") }
    }
}
