import CSystemZlib
import Foundation
import S2IGANTensor

/// The entries of a zip archive: names, byte ranges and compression from the central directory (ZIP64 sizes and
/// offsets included). Members are stored (PyTorch's checkpoints, `numpy.savez`) or deflated
/// (`numpy.savez_compressed`).
struct ZipArchive {
    struct Entry {
        var range: Range<Int>
        var method: Int
        var uncompressedSize: Int
        var crc: UInt32
    }

    let data: Data
    let path: String
    private(set) var entries: [String: Entry] = [:]
    private(set) var names: [String] = []

    init(_ data: Data, path: String) throws {
        self.data = data
        self.path = path
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "zip: " + reason) }
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at <= bytes.count - 2 else { throw fail("record at byte \(at) runs past the end") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }
        func u64(_ at: Int) throws -> Int {
            let v = UInt64(try u32(at)) | UInt64(try u32(at + 4)) << 32
            guard v <= UInt64(Int.max) else { throw fail("size \(v) is too large") }
            return Int(v)
        }
        // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
        var end = -1
        var i = bytes.count - 22
        while i >= Swift.max(0, bytes.count - 65_557) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 5, bytes[i + 3] == 6 { end = i; break }
            i -= 1
        }
        guard end >= 0 else { throw fail("no end-of-central-directory record: not a zip archive, or truncated") }
        var count = try u16(end + 10), directory = try u32(end + 16)
        if count == 0xFFFF || directory == 0xFFFF_FFFF {
            // ZIP64: the locator just before the record points to the ZIP64 end record.
            let locator = end - 20
            guard locator >= 0, try u32(locator) == 0x0706_4B50 else { throw fail("missing ZIP64 locator") }
            let record = try u64(locator + 8)
            guard try u32(record) == 0x0606_4B50 else { throw fail("bad ZIP64 end record") }
            count = try u64(record + 32)
            directory = try u64(record + 48)
        }
        var at = directory
        for _ in 0..<count {
            guard try u32(at) == 0x0201_4B50 else { throw fail("bad central directory entry at byte \(at)") }
            let method = try u16(at + 10)
            let crc = UInt32(try u32(at + 16))
            var size = try u32(at + 20), uncompressed = try u32(at + 24)
            let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
            var local = try u32(at + 42)
            guard at + 46 + nameLength <= bytes.count else { throw fail("entry name runs past the end") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field (id 1): the 64-bit sizes and offset that did not fit.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try u16(extra), length = try u16(extra + 2)
                if id == 1 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try u64(field); field += 8 }  // uncompressed size comes first
                    if size == 0xFFFF_FFFF { size = try u64(field); field += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(field) }
                }
                extra += 4 + length
            }
            guard method == 0 || method == 8 else { throw fail("entry '\(name)' uses compression method \(method); only stored (0) and deflate (8) are supported") }
            guard try u32(local) == 0x0403_4B50 else { throw fail("bad local header for '\(name)'") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start >= 0, size >= 0, start <= bytes.count - size else { throw fail("entry '\(name)' runs past the end of the archive") }
            guard method == 8 || uncompressed == size else {
                throw fail("entry '\(name)' is stored but declares \(uncompressed) bytes uncompressed and \(size) bytes in the archive")
            }
            entries[name] = Entry(range: start..<(start + size), method: method, uncompressedSize: uncompressed, crc: crc)
            names.append(name)
            at += 46 + nameLength + extraLength + commentLength
        }
    }

    func contents(_ name: String) throws -> Data {
        guard let entry = entries[name] else { throw FormatError.file(path: path, reason: "zip: no entry '\(name)'") }
        let stored = data.subdata(in: (data.startIndex + entry.range.lowerBound)..<(data.startIndex + entry.range.upperBound))
        var contents = stored
        if entry.method == 8 {
            try ResourceLimits.check(entry.uncompressedSize, \.decompressedBytes, what: "zip: entry '\(name)' inflates to", path: path)
            contents = try inflate(stored, size: entry.uncompressedSize, name: name)
        }
        let actual = ZipArchive.crc32(of: contents)
        // The fuzzing build computes the CRC but does not act on a mismatch (the convention of libpng's and zlib's
        // fuzzers): almost every mutation of a member would otherwise stop here, and the decoders behind the zip
        // layer would never see the mutated bytes. Tests/FormatsTests covers the check itself.
        #if S2IGAN_FUZZ
        let verified = true
        #else
        let verified = actual == entry.crc
        #endif
        guard verified else {
            func hex(_ value: UInt32) -> String { let digits = String(value, radix: 16); return String(repeating: "0", count: 8 - digits.count) + digits }
            throw FormatError.file(path: path, reason: "zip: entry '\(name)' is corrupt: its CRC-32 is \(hex(actual)) but the archive records \(hex(entry.crc))")
        }
        return contents
    }

    /// The CRC-32 (zlib's, the one zip records) of `data`, in chunks that fit zlib's 32-bit lengths.
    static func crc32(of data: Data) -> UInt32 {
        data.withUnsafeBytes { raw -> UInt32 in
            guard let base = raw.bindMemory(to: Bytef.self).baseAddress else { return 0 }
            var crc = CSystemZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < raw.count {
                let length = Swift.min(raw.count - offset, 1 << 30)
                crc = CSystemZlib.crc32(crc, base + offset, uInt(length))
                offset += length
            }
            return UInt32(crc)
        }
    }

    /// Raw deflate data (no zlib header) of a member declared `size` bytes long.
    private func inflate(_ compressed: Data, size: Int, name: String) throws -> Data {
        func fail(_ reason: String) -> FormatError { .file(path: path, reason: "zip: entry '\(name)': \(reason)") }
        // The declared size is checked before it is allocated: deflate expands at most 1032-fold (258-byte matches
        // in under two bits each), and zlib counts output in 32 bits.
        let (bound, overflow) = compressed.count.multipliedReportingOverflow(by: 1032)
        guard size >= 0, size <= UInt32.max, overflow || size <= bound + 1024 else {
            throw fail("declares \(size) bytes uncompressed from \(compressed.count) compressed, more than deflate can produce")
        }
        var output = [UInt8](repeating: 0, count: Swift.max(size, 1))
        var input = [UInt8](compressed)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("zlib failed to start") }
        defer { inflateEnd(&stream) }
        let status: Int32 = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return CSystemZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw fail("corrupt deflate data (zlib status \(status), \(stream.total_out) of \(size) bytes)")
        }
        return Data(output[0..<size])
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
            let crc = Int(ZipArchive.crc32(of: member.data))
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
