import Foundation

/// The entries of a zip archive whose members are stored uncompressed, as PyTorch writes its
/// checkpoints: names and byte ranges from the central directory (ZIP64 sizes and offsets included).
struct StoredZip {
    let data: Data
    let path: String
    private(set) var entries: [String: Range<Int>] = [:]
    private(set) var names: [String] = []

    init(_ data: Data, path: String) throws {
        self.data = data
        self.path = path
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> TensorError { .file(path: path, reason: "zip: " + reason) }
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw fail("record at byte \(at) runs past the end") }
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
            var size = try u32(at + 20)
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
                    if try u32(at + 24) == 0xFFFF_FFFF { field += 8 }  // uncompressed size comes first
                    if size == 0xFFFF_FFFF { size = try u64(field); field += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(field) }
                }
                extra += 4 + length
            }
            guard method == 0 else { throw fail("entry '\(name)' is compressed (method \(method)); only stored entries are supported") }
            guard try u32(local) == 0x0403_4B50 else { throw fail("bad local header for '\(name)'") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start >= 0, size >= 0, start <= bytes.count - size else { throw fail("entry '\(name)' runs past the end of the archive") }
            entries[name] = start..<(start + size)
            names.append(name)
            at += 46 + nameLength + extraLength + commentLength
        }
    }

    func contents(_ name: String) throws -> Data {
        guard let range = entries[name] else { throw TensorError.file(path: path, reason: "zip: no entry '\(name)'") }
        return data.subdata(in: (data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound))
    }
}
