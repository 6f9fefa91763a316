import CImageCodecs
import Foundation
import S2IGANTensor
import S2IGANFormats

/// The file formats images are read from and written to.
public enum ImageFormat: Sendable, Equatable {
    case png(compression: Int = 6)
    case jpeg(quality: Int = 75, subsampling: ChromaSubsampling = .yuv420)

    /// How a JPEG stores colour detail: 4:4:4 keeps all of it, 4:2:0 (libjpeg's and Pillow's default)
    /// halves it in both directions.
    public enum ChromaSubsampling: Int32, Sendable {
        case yuv444 = 0, yuv422 = 1, yuv420 = 2
    }

    /// The format a file name asks for: `.png`, or `.jpg`/`.jpeg` (quality 95, as image datasets are saved).
    public static func forExtension(of url: URL) throws -> ImageFormat {
        switch url.pathExtension.lowercased() {
        case "png": return .png()
        case "jpg", "jpeg": return .jpeg(quality: 95)
        default: throw VisionError.file(path: url.path, reason: "image: unknown image extension '.\(url.pathExtension)' (use .png or .jpg)")
        }
    }
}

extension RGBImage {
    /// The largest image accepted, in pixels: ``ResourceLimits/imagePixels`` (50 megapixels unless raised with
    /// `S2IGAN_MAX_IMAGE_PIXELS`). Larger declared sizes are refused before any pixel memory is allocated.
    public static var maximumPixelCount: Int { ResourceLimits.current.imagePixels }

    /// Reads a JPEG or PNG file (told apart by their signatures) as RGB, as Pillow's
    /// `Image.open(path).convert("RGB")` does: grey is replicated, alpha dropped (not blended), palettes
    /// expanded, 16-bit samples reduced to their high byte, CMYK converted with Pillow's formula.
    /// - Throws: for missing, truncated, corrupt or unsupported files, naming the file.
    public static func read(_ url: URL) throws -> RGBImage {
        try decode(readFileBytes(url), path: url.path)
    }

    /// Decodes JPEG or PNG bytes; `path` names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> RGBImage {
        let bytes = [UInt8](data)
        var decoded = s2i_image()
        let status: Int32, limit = maximumPixelCount
        if bytes.starts(with: [0xFF, 0xD8]) {
            status = s2i_decode_jpeg(bytes, bytes.count, Int64(limit), &decoded)
        } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            status = s2i_decode_png(bytes, bytes.count, Int64(limit), &decoded)
        } else {
            let what = bytes.isEmpty ? "empty file" : "not a JPEG or PNG file"
            throw VisionError.file(path: path, reason: "image: \(what)")
        }
        guard status == 0, let pixels = decoded.pixels else {
            let text = message(of: &decoded)
            let hint = text.contains("exceeds the limit") ? " (raise it with \(ResourceLimits.variable(for: \.imagePixels)))" : ""
            throw VisionError.file(path: path, reason: "image: " + text + hint)
        }
        defer { s2i_image_free(pixels) }
        let count = Int(decoded.width) * Int(decoded.height) * 3
        return try RGBImage(width: Int(decoded.width), height: Int(decoded.height),
                            pixels: [UInt8](UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Encodes the image in `format`.
    public func encoded(as format: ImageFormat) throws -> Data {
        var bytes: UnsafeMutablePointer<UInt8>?
        var count = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = pixels.withUnsafeBufferPointer { rgb -> Int32 in
            switch format {
            case .png(let compression):
                return s2i_encode_png(rgb.baseAddress, Int32(width), Int32(height), Int32(compression), &bytes, &count,
                                      &message, message.count)
            case .jpeg(let quality, let subsampling):
                return s2i_encode_jpeg(rgb.baseAddress, Int32(width), Int32(height), Int32(quality), subsampling.rawValue,
                                       &bytes, &count, &message, message.count)
            }
        }
        guard status == 0, let bytes else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw VisionError.invalidSetting("image: encoding failed (\(text))")
        }
        defer { s2i_image_free(bytes) }
        return Data(bytes: bytes, count: count)
    }

    /// Writes the image atomically; the format follows the extension unless given.
    public func write(to url: URL, format: ImageFormat? = nil) throws {
        try writeFileAtomically(encoded(as: format ?? ImageFormat.forExtension(of: url)), to: url)
    }

    private static func message(of image: inout s2i_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
