import Foundation
import S2IGANTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `data` atomically: into a temporary file beside the target (``temporaryFileName(for:)``), flushed to
/// disk, then renamed over the target, so a reader sees the old file or the new one, never a part. A failure
/// throws ``FormatError/file(path:reason:)`` naming the target and what is in the way, and leaves no temporary
/// file behind; a killed process may leave one, which ``removeStaleTemporaryFiles(in:includingSubfolders:)`` recognises.
public func writeFileAtomically(_ data: Data, to url: URL) throws {
    let path = url.path
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw FormatError.file(path: path, reason: "cannot be written: it is a folder")
    }
    let folder = url.deletingLastPathComponent()
    try requireFolder(folder, writing: path)
    var temporary = "", descriptor: Int32 = -1
    // A fresh name per call, so that writers of the same file on two threads never share a temporary.
    for _ in 0..<8 {
        temporary = folder.appendingPathComponent(temporaryFileName(for: url.lastPathComponent)).path
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else { throw FormatError.file(path: path, reason: "cannot be written: " + systemReason(errno)) }
    var failure: Int32 = 0
    data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            offset += written
        }
    }
    if failure == 0, fsync(descriptor) != 0 { failure = errno }
    if close(descriptor) != 0, failure == 0 { failure = errno }
    if failure == 0, rename(temporary, path) != 0 { failure = errno }
    if failure != 0 {
        unlink(temporary)
        throw FormatError.file(path: path, reason: "cannot be written: " + systemReason(failure))
    }
}

/// A name for the temporary file that ``writeFileAtomically(_:to:)`` writes before renaming it to `name`:
/// `.<name>.tmp-<process id>-<8 random hex digits>`, hidden, with the writer's process id so that
/// ``removeStaleTemporaryFiles(in:includingSubfolders:)`` can tell a dead writer's file from a live one's.
public func temporaryFileName(for name: String) -> String {
    let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    return ".\(name).tmp-\(getpid())-\(String(repeating: "0", count: 8 - suffix.count))\(suffix)"
}

/// Removes the temporary files that an interrupted atomic write left in `folder` (and, with
/// `includingSubfolders`, in the folders below it): ours (`.<name>.tmp-<process id>[-<hex>]`, of another process
/// than this one) and Foundation's (`.dat.nosync…`, what `Data.write(to:options: .atomic)` leaves on Linux). Returns
/// their paths relative to `folder`, sorted. A missing folder has none.
@discardableResult
public func removeStaleTemporaryFiles(in folder: URL, includingSubfolders: Bool = false) throws -> [String] {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
    let relativePaths: [String]
    if includingSubfolders {
        guard let walker = fm.enumerator(atPath: folder.path) else { return [] }
        relativePaths = walker.compactMap { $0 as? String }
    } else {
        relativePaths = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
    }
    var removed: [String] = []
    for relative in relativePaths.sorted() where isStaleTemporaryName((relative as NSString).lastPathComponent) {
        let url = folder.appendingPathComponent(relative)
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        do {
            try fm.removeItem(at: url)
        } catch {
            throw FormatError.file(path: url.path, reason: "stale temporary file cannot be removed: \(readableDescription(of: error))")
        }
        removed.append(relative)
    }
    return removed
}

/// Whether `name` is a temporary file of an atomic write that is not this process's own.
func isStaleTemporaryName(_ name: String) -> Bool {
    if name.hasPrefix(".dat.nosync") { return true }
    guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards), marker.lowerBound > name.index(after: name.startIndex) else {
        return false
    }
    let parts = name[marker.upperBound...].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
    let pid = parts[0]
    guard !pid.isEmpty, pid.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
    if parts.count == 2 { guard !parts[1].isEmpty, parts[1].allSatisfy(\.isHexDigit) else { return false } }
    return pid != "\(getpid())"
}

/// Creates `folder` and any missing parents; a failure throws ``FormatError/file(path:reason:)`` naming the
/// folder and what is in the way (a file where a folder should be, a read-only file system, no permission).
public func createFolder(_ folder: URL) throws {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw FormatError.file(path: folder.path, reason: "cannot be created as a folder: a file of that name exists") }
        return
    }
    if let blocking = firstFileOnPath(of: folder) {
        throw FormatError.file(path: folder.path, reason: "cannot be created as a folder: '\(blocking)' is a file, not a folder")
    }
    do {
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        throw FormatError.file(path: folder.path, reason: "cannot be created as a folder: " + (posixCode(of: error).map(systemReason) ?? readableDescription(of: error)))
    }
}

/// Appends `line` and a line break to the text file at `url`, creating the file if needed; a failure throws
/// ``FormatError/file(path:reason:)`` naming the file.
public func appendLine(_ line: String, to url: URL) throws {
    try requireFolder(url.deletingLastPathComponent(), writing: url.path)
    let descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { throw FormatError.file(path: url.path, reason: "cannot be appended to: " + systemReason(errno)) }
    defer { close(descriptor) }
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            throw FormatError.file(path: url.path, reason: "cannot be appended to: " + systemReason(errno))
        }
        offset += written
    }
}

/// Throws unless `folder`, where `target` is to be written, exists as a folder.
func requireFolder(_ folder: URL, writing target: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw FormatError.file(path: target, reason: "cannot be written: '\(folder.path)' is a file, not a folder") }
        return
    }
    if let blocking = firstFileOnPath(of: folder) {
        throw FormatError.file(path: target, reason: "cannot be written: '\(blocking)' is a file, not a folder")
    }
    throw FormatError.file(path: target, reason: "cannot be written: the folder '\(folder.path)' does not exist")
}

/// The first existing ancestor of `url` (or `url` itself) that is not a folder, if any.
func firstFileOnPath(of url: URL) -> String? {
    var components: [String] = []
    for component in url.standardizedFileURL.pathComponents {
        components.append(component)
        let path = NSString.path(withComponents: components)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if !isDirectory.boolValue { return path }
    }
    return nil
}

/// The text of a system error number, e.g. "read-only file system", without the code.
func systemReason(_ code: Int32) -> String {
    switch code {
    case ENOENT: return "no such file or folder"
    case ENOTDIR: return "a part of the path is a file, not a folder"
    case EISDIR: return "it is a folder"
    case EACCES, EPERM: return "permission denied"
    case EROFS: return "read-only file system"
    case ENOSPC: return "no space left on the device"
    case EDQUOT: return "disk quota exceeded"
    case EEXIST: return "it already exists"
    case ENAMETOOLONG: return "the name is too long"
    default: return String(cString: strerror(code)).lowercased()
    }
}
