import CSystemZlib
import Foundation
import S2IGANTensor
import ZIPFoundation

/// The members of a zip archive — PyTorch's checkpoints and `numpy.savez` (stored), `numpy.savez_compressed`
/// (deflated) — read with ZIPFoundation. Every member's CRC32 is checked when it is read, so a flipped bit in a stored
/// tensor is an error naming the file and the member instead of a silently wrong weight.
struct ZipArchive {
    /// A member: ZIPFoundation's entry (name, sizes, method, CRC32) and where its data starts in the archive.
    private struct Member {
        var entry: Entry
        var dataStart: Int
    }

    let data: Data
    let path: String
    /// The member names in central-directory order.
    private(set) var names: [String] = []
    private var members: [String: Member] = [:]

    init(_ data: Data, path: String) throws {
        self.data = data
        self.path = path
        let layout = try ZipLayout(data, path: path)
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch {
            throw FormatError.file(path: path, reason: "zip: unreadable archive (\(error))")
        }
        // ZIPFoundation's iterator ends quietly at a record it cannot read; a missing member must be an error instead.
        var index = 0
        for entry in archive {
            guard index < layout.dataStarts.count else { break }
            members[entry.path] = Member(entry: entry, dataStart: layout.dataStarts[index])
            names.append(entry.path)
            index += 1
        }
        guard index == layout.dataStarts.count else {
            throw FormatError.file(path: path, reason: "zip: central directory entry \(index) of \(layout.dataStarts.count) is unreadable")
        }
    }

    /// The bytes of member `name`, inflated if it is deflated, after its size and CRC32 are checked.
    func contents(_ name: String) throws -> Data {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "zip: entry '\(name)': \(reason)") }
        guard let member = members[name] else { throw FormatError.file(path: path, reason: "zip: no entry '\(name)'") }
        let entry = member.entry
        // Sizes may come from a ZIP64 data descriptor, which the layout walk does not see: checked here.
        guard let compressed = Int(exactly: entry.compressedSize), let size = Int(exactly: entry.uncompressedSize),
              compressed <= data.count - member.dataStart else {
            throw fail("\(entry.compressedSize) bytes from byte \(member.dataStart) run past the end of the archive")
        }
        let start = data.startIndex + member.dataStart
        let bytes: Data
        if entry.isCompressed {
            try ResourceLimits.check(size, \.decompressedBytes, what: "zip: entry '\(name)' inflates to", path: path)
            bytes = try inflate(data[start..<(start + compressed)], size: size, fail: fail)
        } else {
            guard size == compressed else { throw fail("stored, but declares \(compressed) bytes stored and \(size) uncompressed") }
            bytes = data.subdata(in: start..<(start + size))
        }
        let computed = crc32(of: bytes)
        guard computed == entry.checksum else {
            throw fail("CRC32 mismatch (the archive records \(hex(entry.checksum)), the data gives \(hex(computed))): the file is damaged")
        }
        return bytes
    }

    /// Inflates raw deflate data (no zlib header) that declares `size` bytes, through ZIPFoundation's zlib binding.
    private func inflate(_ compressed: Data, size: Int, fail: (String) -> FormatError) throws -> Data {
        // The declared size is checked before it is allocated: deflate expands at most 1032-fold (258-byte matches
        // in under two bits each).
        let (bound, overflow) = compressed.count.multipliedReportingOverflow(by: 1032)
        guard overflow || size <= bound + 1024 else {
            throw fail("declares \(size) bytes uncompressed from \(compressed.count) compressed, more than deflate can produce")
        }
        let chunk = 1 << 18
        var output = Data(capacity: size)
        var position = compressed.startIndex
        var ranOut = false, overran = false
        do {
            _ = try Data.decompress(size: Int64(compressed.count), bufferSize: chunk, skipCRC32: true, provider: { _, wanted in
                // Asked again after the last byte: the stream has no end, and ZIPFoundation would ask forever.
                guard position < compressed.endIndex else { ranOut = true; throw ZipStop() }
                let end = Swift.min(position + Swift.min(wanted, chunk), compressed.endIndex)
                let piece = Data(compressed[position..<end])
                position = end
                #if !canImport(Compression)
                // On Linux ZIPFoundation gives zlib `bufferSize` input bytes whatever the chunk holds: pad the last one.
                if piece.count < chunk { return piece + Data(count: chunk - piece.count) }
                #endif
                return piece
            }, consumer: { piece in
                guard output.count + piece.count <= size else { overran = true; throw ZipStop() }
                output.append(piece)
            })
        } catch {
            if ranOut { throw fail("the deflate data ends before its stream does") }
            if overran { throw fail("inflates to more than the \(size) bytes it declares") }
            throw fail("corrupt deflate data after \(output.count) of \(size) bytes")
        }
        guard output.count == size else { throw fail("inflates to \(output.count) bytes, but declares \(size)") }
        return output
    }
}

/// The CRC32 of `bytes` from the system zlib. ZIPFoundation computes it with a byte-at-a-time table on Linux (it
/// finds no `zlib` module there), which made loading a 100 MB checkpoint take about three times as long as without
/// the check; zlib's is several times faster.
private func crc32(of bytes: Data) -> UInt32 {
    bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> UInt32 in
        guard var next = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return 0 }
        var crc: uLong = 0, left = buffer.count
        while left > 0 {
            let n = Swift.min(left, Int(UInt32.max))  // zlib takes 32-bit lengths
            crc = CSystemZlib.crc32(crc, next, uInt(n))
            next += n
            left -= n
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}

/// Ends ZIPFoundation's inflate loop from inside its closures; the caller says why.
private struct ZipStop: Error {}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

/// The archive's central directory walked for bounds before ZIPFoundation reads it. ZIPFoundation 0.9.20 converts
/// 64-bit offsets to `off_t` unchecked (a trap past `Int64.max`), scans the whole file for the end record, and stops
/// its entry iterator quietly at a bad record; this walk turns each of those into an error naming the file, and
/// finds where each member's data starts (ZIPFoundation keeps that internal).
private struct ZipLayout {
    /// For each central-directory record, in order, the offset of its member's data.
    var dataStarts: [Int] = []

    /// Values above this in a ZIP64 field are refused: sums of a few of them stay below `Int64.max`.
    static let largestValue: UInt64 = 1 << 62

    init(_ data: Data, path: String) throws {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "zip: " + reason) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            let n = bytes.count
            func u16(_ at: Int) throws -> Int {
                guard at >= 0, at <= n - 2 else { throw fail("record at byte \(at) runs past the end") }
                return Int(bytes[at]) | Int(bytes[at + 1]) << 8
            }
            func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }
            func u64(_ at: Int) throws -> UInt64 {
                let v = UInt64(try u32(at)) | UInt64(try u32(at + 4)) << 32
                guard v <= Self.largestValue else { throw fail("64-bit value \(v) at byte \(at) runs past the end of any archive") }
                return v
            }
            // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
            var end = -1
            var i = n - 22
            while i >= Swift.max(0, n - 65_557) {
                if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 5, bytes[i + 3] == 6 { end = i; break }
                i -= 1
            }
            guard end >= 0 else { throw fail("no end-of-central-directory record: not a zip archive, or truncated") }
            var count = try u16(end + 10), directory = try u32(end + 16)
            // ZIPFoundation takes a ZIP64 end record from just before its locator whenever both signatures are
            // there (Python's zipfile, miniz and numpy write them so); the locator must point at that record.
            let record = end - 20 - 56
            if record >= 0, try u32(end - 20) == 0x0706_4B50, try u32(record) == 0x0606_4B50 {
                guard try u64(end - 20 + 8) == UInt64(record) else { throw fail("the ZIP64 locator does not point at the ZIP64 end record") }
                let entries = try u64(record + 32), offset = try u64(record + 48)
                (count, directory) = (Int(entries), Int(offset))
            } else if count == 0xFFFF || directory == 0xFFFF_FFFF {
                throw fail("missing ZIP64 end record")
            }
            // A central-directory record takes at least 46 bytes.
            guard count <= n / 46 else { throw fail("declares \(count) entries, more than the archive can hold") }
            var at = directory
            dataStarts.reserveCapacity(count)
            for _ in 0..<count {
                guard try u32(at) == 0x0201_4B50 else { throw fail("bad central directory entry at byte \(at)") }
                let method = try u16(at + 10)
                let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
                var local = UInt64(try u32(at + 42))
                guard at + 46 + nameLength <= n else { throw fail("entry name at byte \(at + 46) runs past the end") }
                let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
                // ZIP64 extra fields (id 1): every value is bounded; the local-header offset is the third of the
                // 64-bit values that did not fit in 32 bits.
                var extra = at + 46 + nameLength
                let extraEnd = extra + extraLength
                while extra + 4 <= extraEnd {
                    let id = try u16(extra), length = try u16(extra + 2)
                    if id == 1 {
                        var field = extra + 4
                        var values: [UInt64] = []
                        while field + 8 <= Swift.min(extra + 4 + length, extraEnd) { values.append(try u64(field)); field += 8 }
                        let skipped = (try u32(at + 24) == 0xFFFF_FFFF ? 1 : 0) + (try u32(at + 20) == 0xFFFF_FFFF ? 1 : 0)
                        if local == 0xFFFF_FFFF, skipped < values.count { local = values[skipped] }
                    }
                    extra += 4 + length
                }
                guard method == 0 || method == 8 else {
                    throw fail("entry '\(name)' uses compression method \(method); only stored (0) and deflate (8) are supported")
                }
                guard local <= UInt64(n) else { throw fail("local header of '\(name)' at byte \(local) runs past the end of the archive") }
                let header = Int(local)
                guard try u32(header) == 0x0403_4B50 else { throw fail("bad local header for '\(name)'") }
                let start = header + 30 + (try u16(header + 26)) + (try u16(header + 28))
                guard start <= n else { throw fail("entry '\(name)' runs past the end of the archive") }
                dataStarts.append(start)
                at += 46 + nameLength + extraLength + commentLength
            }
        }
    }
}

/// Writes zip archives whose members are stored uncompressed (what `numpy.savez` writes), atomically.
enum ZipWriter {
    static func write(_ members: [(name: String, data: Data)], to url: URL) throws {
        var out = [UInt8](), directory = [UInt8]()
        func le(_ value: Int, _ count: Int, into bytes: inout [UInt8]) {
            for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
        }
        for member in members {
            let bytes = [UInt8](member.data), name = [UInt8](member.name.utf8)
            guard bytes.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF else {
                throw FormatError.file(path: url.path, reason: "zip: member '\(member.name)' is too large for a plain zip")
            }
            let crc = Int(crc32(of: member.data))
            let offset = out.count
            // Local header: signature, version 20, flags 0, stored, time/date 0, crc, sizes, name length, no extra.
            le(0x0403_4B50, 4, into: &out); le(20, 2, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
            le(0, 4, into: &out); le(crc, 4, into: &out); le(bytes.count, 4, into: &out); le(bytes.count, 4, into: &out)
            le(name.count, 2, into: &out); le(0, 2, into: &out)
            out += name
            out += bytes
            le(0x0201_4B50, 4, into: &directory); le(20, 2, into: &directory); le(20, 2, into: &directory)
            le(0, 2, into: &directory); le(0, 2, into: &directory); le(0, 4, into: &directory); le(crc, 4, into: &directory)
            le(bytes.count, 4, into: &directory); le(bytes.count, 4, into: &directory); le(name.count, 2, into: &directory)
            le(0, 2, into: &directory); le(0, 2, into: &directory); le(0, 2, into: &directory); le(0, 2, into: &directory)
            le(0, 4, into: &directory); le(offset, 4, into: &directory)
            directory += name
        }
        let directoryOffset = out.count
        out += directory
        le(0x0605_4B50, 4, into: &out); le(0, 2, into: &out); le(0, 2, into: &out)
        le(members.count, 2, into: &out); le(members.count, 2, into: &out)
        le(directory.count, 4, into: &out); le(directoryOffset, 4, into: &out); le(0, 2, into: &out)
        try writeFileAtomically(Data(out), to: url)
    }
}
