import Foundation
import S2IGANTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One readable line for any error: the project's errors as they describe themselves, Foundation's file
/// errors as "'path': reason" (no domain, code or user-info dump), decoding errors as the key or value that
/// is wrong and where, system errors by their text. Line breaks become "; ".
public func readableDescription(of error: Error) -> String {
    oneLine(describe(error))
}

/// A decoding error (JSON, YAML) as a reason naming the key or value and its coding path, e.g.
/// "key 'epochs' is missing" or "'batch_size': expected an integer, found a string".
public func readableDescription(of error: DecodingError) -> String {
    func place(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    func at(_ path: [CodingKey]) -> String { path.isEmpty ? "" : "'\(place(path))': " }
    switch error {
    case .keyNotFound(let key, let context):
        return "key '\(place(context.codingPath + [key]))' is missing"
    case .valueNotFound(let type, let context):
        return at(context.codingPath) + "expected \(valueKind(type)), found nothing"
    case .typeMismatch(let type, let context):
        return at(context.codingPath) + "expected \(valueKind(type))" + detail(context.debugDescription)
    case .dataCorrupted(let context):
        // Foundation names the Swift type here ("Cannot initialize Kind from invalid String value x"): keep the value.
        if let range = context.debugDescription.range(of: "from invalid "), let value = context.debugDescription[range.upperBound...]
            .split(separator: " ", maxSplits: 2).dropFirst(2).first {
            return at(context.codingPath) + "'\(value)' is not one of the allowed values"
        }
        return at(context.codingPath) + (context.debugDescription.isEmpty ? "malformed" : context.debugDescription)
    @unknown default:
        return "\(error)"
    }
}

/// Runs `decode`, which decodes the contents of `url`; a decoding error becomes ``FormatError/file(path:reason:)``
/// naming the file, `what` it is (e.g. "config") and the key or value at fault.
public func decodeFile<T>(_ what: String, _ url: URL, _ decode: () throws -> T) throws -> T {
    do {
        return try decode()
    } catch let error as DecodingError {
        throw FormatError.file(path: url.path, reason: "\(what): " + readableDescription(of: error))
    } catch let error as any S2IGANError {
        throw error
    } catch {
        throw FormatError.file(path: url.path, reason: "\(what): " + readableDescription(of: error))
    }
}

private func describe(_ error: Error) -> String {
    if let error = error as? any S2IGANError { return error.description }
    if let error = error as? DecodingError { return readableDescription(of: error) }
    if let error = error as? EncodingError {
        if case .invalidValue(_, let context) = error {
            return "cannot encode " + (context.codingPath.isEmpty ? "" : "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': ") + context.debugDescription
        }
    }
    if let error = error as? POSIXError { return systemReason(error.code.rawValue) }
    let ns = error as NSError
    if ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain {
        return describeFoundation(ns)
    }
    // The error's own description when it has one (the project's error types), else its case as Swift prints it.
    return String(describing: error)
}

private func describeFoundation(_ error: NSError) -> String {
    let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
    var reason: String
    if error.domain == NSPOSIXErrorDomain {
        reason = systemReason(Int32(error.code))
    } else if let underlying, underlying.domain == NSPOSIXErrorDomain {
        reason = systemReason(Int32(underlying.code))
    } else {
        switch CocoaError.Code(rawValue: error.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
        case .fileWriteVolumeReadOnly: reason = "read-only file system"
        case .fileWriteFileExists: reason = "it already exists"
        case .fileWriteOutOfSpace: reason = "no space left on the device"
        case .fileReadCorruptFile: reason = "malformed contents"
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: reason = "invalid file name"
        case .fileReadInapplicableStringEncoding: reason = "not valid text in the expected encoding"
        case .fileReadTooLarge: reason = "too large to read"
        case .fileLocking: reason = "locked"
        default:
            reason = (error.userInfo[NSLocalizedFailureReasonErrorKey] as? String)
                ?? (error.userInfo[NSLocalizedDescriptionKey] as? String) ?? "failed (\(error.localizedDescription))"
        }
    }
    return path.map { "'\($0)': \(reason)" } ?? reason
}

/// The POSIX error number inside a Foundation error, if it carries one.
func posixCode(of error: Error) -> Int32? {
    if let error = error as? POSIXError { return error.code.rawValue }
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return Int32(underlying.code)
    }
    return nil
}

private func valueKind(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Bool.Type: return "true or false"
    case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type, is UInt32.Type, is UInt.Type: return "an integer"
    case is Float.Type, is Double.Type: return "a number"
    default:
        let name = "\(type)"
        if name.hasPrefix("Array<") || name.hasPrefix("[") { return "a list" }
        if name.hasPrefix("Dictionary<") { return "a mapping" }
        if name.hasPrefix("Optional<") { return "a value" }
        return "a mapping"
    }
}

/// Foundation's type-mismatch text ("Expected to decode Int but found a string instead.") reduced to what was found.
private func detail(_ text: String) -> String {
    guard let range = text.range(of: "but found ") else { return "" }
    let found = text[range.upperBound...].replacingOccurrences(of: " instead.", with: "").replacingOccurrences(of: "instead", with: "")
        .trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ".")))
    // YAML decoders name their node type here ("found Scalar"), which says nothing to a user.
    guard !found.isEmpty, found.first?.isLowercase == true else { return "" }
    return ", found " + found
}

private func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
}
