import Foundation
import TestSupport
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

/// Zip members are checked against their CRC32: a damaged byte in a checkpoint or an `.npz` is an error naming the
/// file, the member and the mismatch, never a silently different tensor.
@Suite struct ZipArchiveTests {
    static let fuzzCorpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    /// The data range of each member, from the central directory (sizes) and the local headers (where data starts);
    /// the archives here have no archive comment and no ZIP64 central directory.
    static func memberRanges(_ bytes: Data) -> [(name: String, range: Range<Int>)] {
        let b = [UInt8](bytes)
        func le(_ at: Int, _ count: Int) -> Int { (0..<count).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
        let end = b.count - 22
        var ranges: [(String, Range<Int>)] = [], at = le(end + 16, 4)
        for _ in 0..<le(end + 10, 2) {
            let size = le(at + 20, 4), nameLength = le(at + 28, 2), local = le(at + 42, 4)
            let name = String(decoding: b[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            let start = local + 30 + le(local + 26, 2) + le(local + 28, 2)
            ranges.append((name, start..<(start + size)))
            at += 46 + nameLength + le(at + 30, 2) + le(at + 32, 2)
        }
        return ranges
    }

    /// A scratch folder removed when `body` returns.
    static func withFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }

    /// The error `read` throws for `bytes` written to `folder/name`, or "no error".
    static func error(reading bytes: Data, as name: String, in folder: URL, _ read: (URL) throws -> Void) throws -> String {
        let url = folder.appendingPathComponent(name)
        try bytes.write(to: url)
        do { try read(url); return "no error" } catch { return "\(error)" }
    }

    @Test func aFlippedByteInAStoredCheckpointTensorIsACRCError() throws {
        let good = try Data(contentsOf: fixtures.url("interop/state_zip.pth"))
        let member = try #require(Self.memberRanges(good).first { $0.name == "state_zip/data/0" })
        #expect(member.range.count == 432)
        var bad = good
        bad[member.range.lowerBound + 100] ^= 0x01
        try Self.withFolder { folder in
            let message = try Self.error(reading: bad, as: "damaged.pth", in: folder) { _ = try TorchCheckpoint.read($0) }
            #expect(message.contains("damaged.pth") && message.contains("'state_zip/data/0'") && message.contains("CRC32 mismatch"), "\(message)")
        }
    }

    @Test func aFlippedByteInAStoredNPZArrayIsACRCError() throws {
        try Self.withFolder { folder in
            let url = folder.appendingPathComponent("good.npz")
            let b = try TypedArray(float64: [4, 5, 6, 7], shape: [2, 2])
            try NPZ.write(["a": try TypedArray(float64: [1, 2, 3], shape: [3]), "b": b], to: url)
            let good = try Data(contentsOf: url)
            #expect(try NPZ.read(url)["b"] == b)
            let member = try #require(Self.memberRanges(good).first { $0.name == "b.npy" })
            var bad = good
            bad[member.range.upperBound - 1] ^= 0x80  // the last float's sign bit: still a valid .npy, a different value
            let message = try Self.error(reading: bad, as: "damaged.npz", in: folder) { _ = try NPZ.read($0) }
            #expect(message.contains("damaged.npz") && message.contains("'b.npy'") && message.contains("CRC32 mismatch"), "\(message)")
        }
    }

    /// Every byte of every member's data, flipped in turn, is refused with an error naming the member, or changes
    /// nothing that is read (members a reader skips, such as `.format_version`; unused bits after a deflate stream's
    /// last block) — in stored and deflated members alike.
    @Test(arguments: ["pth/valid-state_zip.pth", "npz/valid-stored.npz", "npz/valid-deflated.npz"])
    func everyFlippedDataByteIsRefusedOrHarmless(_ name: String) throws {
        let good = try Data(contentsOf: Self.fuzzCorpus.appendingPathComponent(name))
        let ranges = Self.memberRanges(good)
        #expect(!ranges.isEmpty)
        try Self.withFolder { folder in
            // What a reader sees: the state dict's names and arrays, or the .npz arrays by key.
            let read: (URL) throws -> [String: TypedArray] = name.hasSuffix(".pth")
                ? { Dictionary(try TorchCheckpoint.read($0).stateDict(), uniquingKeysWith: { a, _ in a }) }
                : { try NPZ.read($0) }
            let url = folder.appendingPathComponent("bad")
            try good.write(to: url)
            let expected = try read(url)
            var refused = 0
            for (member, range) in ranges {
                for offset in range {
                    var bad = good
                    bad[offset] ^= 0x10
                    try bad.write(to: url)
                    do {
                        #expect(try read(url) == expected, "\(member) byte \(offset) was read as different values")
                    } catch {
                        refused += 1
                        #expect("\(error)".contains(url.path) && "\(error)".contains(member), "\(member) byte \(offset): \(error)")
                    }
                }
            }
            // The tensors' own bytes are most of each archive's member data.
            #expect(refused * 2 > ranges.map(\.range.count).reduce(0, +), "\(refused) refused")
        }
    }

    @Test func truncatedDeflateDataIsAnErrorNotAHang() throws {
        // A member whose deflate stream is cut short: a stored block header (not final) that promises 100 bytes
        // and brings 3, at the very end of the member data.
        let truncated: [UInt8] = [0x00, 100, 0, 0x9B, 0xFF, 1, 2, 3]
        let archive = try ZipArchive(ResourceLimitTests.zip(member: "m", deflated: truncated, uncompressed: 100), path: "cut.zip")
        let error = #expect(throws: FormatError.self) { try archive.contents("m") }
        #expect("\(error!)".contains("cut.zip") && "\(error!)".contains("'m'"), "\(error!)")
    }

    @Test func zip64RecordsAndOffsetsAreRead() throws {
        // One stored member "m" = "hello" behind 8 bytes of padding, its local-header offset only in the ZIP64
        // extra field, and the directory found through the ZIP64 end record and locator.
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        let crc: UInt64 = 0x3610_A686  // zlib.crc32(b"hello")
        let pad = [UInt8](repeating: 0, count: 8)
        let local = le(0x0403_4B50, 4) + le(45, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4) + le(5, 4) + le(5, 4)
            + le(1, 2) + le(0, 2) + Array("m".utf8) + Array("hello".utf8)
        let central = le(0x0201_4B50, 4) + le(45, 2) + le(45, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4) + le(5, 4) + le(5, 4)
            + le(1, 2) + le(12, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0xFFFF_FFFF, 4) + Array("m".utf8)
            + le(1, 2) + le(8, 2) + le(UInt64(pad.count), 8)
        let directoryOffset = UInt64(pad.count + local.count), recordOffset = directoryOffset + UInt64(central.count)
        let record = le(0x0606_4B50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) + le(1, 8) + le(1, 8)
            + le(UInt64(central.count), 8) + le(directoryOffset, 8)
        let locator = le(0x0706_4B50, 4) + le(0, 4) + le(recordOffset, 8) + le(1, 4)
        let end = le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFF_FFFF, 4) + le(0xFFFF_FFFF, 4) + le(0, 2)
        let bytes = pad + local + central + record + locator + end
        let archive = try ZipArchive(Data(bytes), path: "z64.zip")
        #expect(archive.names == ["m"])
        #expect(try archive.contents("m") == Data("hello".utf8))
        // The locator must point at the record ZIPFoundation reads.
        var moved = bytes
        moved[bytes.count - 22 - 20 + 8] ^= 0x01
        let error = #expect(throws: FormatError.self) { try ZipArchive(Data(moved), path: "z64.zip") }
        #expect("\(error!)".contains("ZIP64 locator"), "\(error!)")
    }
}
