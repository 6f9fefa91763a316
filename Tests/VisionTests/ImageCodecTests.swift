import Foundation
import S2IGANFormats
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANVision

/// Decoding against Pillow's `Image.open(path).convert("RGB")` on files Pillow (or the fixture script's own
/// minimal PNG writer) produced.
@Suite struct ImageCodecTests {
    @Test(arguments: ["png_rgb8", "png_rgba8", "png_gray8", "png_gray_alpha", "png_gray1", "png_palette",
                      "png_palette_trns", "png_rgb16", "png_rgba16", "png_interlaced"])
    func pngDecodesLikePillow(_ name: String) throws {
        let image = try RGBImage.read(fixtures.url(name + ".png"))
        let expected = try fixtureImage(name + ".rgb.npy")
        #expect(image.width == 37 && image.height == 29)
        #expect(maximumDifference(image, expected) == 0, "\(name)")
    }

    /// Pillow clips 16-bit grey to 255 when converting to RGB (almost every pixel turns white); we keep the
    /// high byte, as for 16-bit colour, which Pillow itself does.
    @Test func sixteenBitGreyKeepsTheHighByte() throws {
        let image = try RGBImage.read(fixtures.url("png_gray16.png"))
        #expect(maximumDifference(image, try fixtureImage("png_gray16.highbyte.npy")) == 0)
        #expect(maximumDifference(image, try fixtureImage("png_gray16.rgb.npy")) > 0)
    }

    @Test(arguments: ["jpeg_q90", "jpeg_q75", "jpeg_444", "jpeg_progressive", "jpeg_gray", "jpeg_cmyk"])
    func jpegDecodesLikePillow(_ name: String) throws {
        let image = try RGBImage.read(fixtures.url(name + ".jpg"))
        let expected = try fixtureImage(name + ".rgb.npy")
        // Same libjpeg-turbo algorithms (integer IDCT, fancy upsampling) as Pillow's wheel: identical bytes.
        #expect(maximumDifference(image, expected) == 0, "\(name)")
    }

    @Test func encodedPNGRoundTripsExactly() throws {
        let source = try fixtureImage("source.npy")
        for level in [0, 6, 9] {
            let data = try source.encoded(as: .png(compression: level))
            #expect(try RGBImage.decode(data) == source)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vision-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try source.write(to: url)
        #expect(try RGBImage.read(url) == source)
    }

    /// Our JPEG encoder is libjpeg's, set up as Pillow sets it up: the same quality gives the same file.
    @Test func encodedJPEGMatchesPillowsEncoder() throws {
        let source = try fixtureImage("source.npy")
        for (quality, name) in [(90, "jpeg_q90"), (75, "jpeg_q75")] {
            let ours = try RGBImage.decode(source.encoded(as: .jpeg(quality: quality)))
            #expect(maximumDifference(ours, try fixtureImage(name + ".rgb.npy")) <= 2, "quality \(quality)")
        }
        let full = try RGBImage.decode(source.encoded(as: .jpeg(quality: 90, subsampling: .yuv444)))
        #expect(maximumDifference(full, try fixtureImage("jpeg_444.rgb.npy")) <= 2)
        let small = try source.encoded(as: .jpeg(quality: 20)).count, large = try source.encoded(as: .jpeg(quality: 98)).count
        #expect(small < large)
    }

    @Test func absurdDeclaredSizesAreRefusedBeforeAllocating() throws {
        for name in ["png_huge_dims.png", "jpeg_huge_dims.jpg"] {
            let error = try #require(throws: VisionError.self) { try RGBImage.read(fixtures.url(name)) }
            #expect(error.description.contains(name) == true)
            #expect(error.description.contains("exceeds the limit") == true, "\(String(describing: error))")
        }
    }

    @Test func missingEmptyAndForeignFilesAreNamedErrors() throws {
        let missing = fixtures.url("no-such-image.png")
        #expect(throws: FormatError.file(path: missing.path, reason: "no such file")) { try RGBImage.read(missing) }
        #expect(throws: VisionError.file(path: "x.png", reason: "image: empty file")) { try RGBImage.decode(Data(), path: "x.png") }
        #expect(throws: VisionError.file(path: "x.png", reason: "image: not a JPEG or PNG file")) {
            try RGBImage.decode(Data("GIF89a".utf8), path: "x.png")
        }
    }

    /// Every truncation of a small PNG and JPEG, and random byte damage, gives an error or an image —
    /// never a crash; truncations must be errors.
    @Test func truncatedAndCorruptFilesNeverTrap() throws {
        for name in ["png_rgb8.png", "png_interlaced.png", "png_palette.png", "jpeg_q90.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg"] {
            let data = try Data(contentsOf: fixtures.url(name))
            for length in Swift.stride(from: 0, to: data.count - 1, by: 7) {
                #expect(throws: VisionError.self, "\(name) cut at \(length)") { try RGBImage.decode(data.prefix(length), path: name) }
            }
            var rng = RandomGenerator(seed: 7)
            for _ in 0..<60 {
                var damaged = [UInt8](data)
                for _ in 0..<4 {
                    let i = 2 + rng.nextInt(below: damaged.count - 2)
                    damaged[i] = UInt8(truncatingIfNeeded: rng.next())
                }
                if let image = try? RGBImage.decode(Data(damaged), path: name) {
                    #expect(image.pixels.count == image.width * image.height * 3)
                }
            }
        }
    }

    @Test func writingPicksTheFormatFromTheExtension() throws {
        let source = try fixtureImage("source.npy")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vision-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try source.write(to: directory.appendingPathComponent("a.jpg"))
        let jpeg = try Data(contentsOf: directory.appendingPathComponent("a.jpg"))
        #expect(jpeg.starts(with: [0xFF, 0xD8]))
        #expect(throws: VisionError.self) { try source.write(to: directory.appendingPathComponent("a.gif")) }
    }
}

/// The pixel budget (``ResourceLimits/imagePixels``): a 13 000 × 13 000 image (169 megapixels, 2.6 GB once
/// decoded and converted) declared by a few hundred bytes is refused before anything is allocated.
@Suite struct ImagePixelBudgetTests {
    /// `data` with the big-endian 16-bit value at `offset` replaced.
    func patched(_ data: Data, _ offset: Int, _ value: Int, bytes: Int = 2) -> Data {
        var d = [UInt8](data)
        for k in 0..<bytes { d[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * (bytes - 1 - k))) }
        return Data(d)
    }

    func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test func jpegAndPNGOverTheBudgetAreRefused() throws {
        let small = try RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 200, count: 8 * 8 * 3))
        // JPEG: the SOF0 marker's height and width.
        let jpeg = try small.encoded(as: .jpeg(quality: 90))
        let sof = try #require([UInt8](jpeg).indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        let bigJPEG = patched(patched(jpeg, sof + 5, 13_000), sof + 7, 13_000)
        // PNG: IHDR's width and height, with its CRC recomputed so that only the size is wrong.
        var png = [UInt8](patched(patched(try small.encoded(as: .png()), 16, 13_000, bytes: 4), 20, 13_000, bytes: 4))
        let crc = crc32(png[12..<29])
        for k in 0..<4 { png[29 + k] = UInt8(truncatingIfNeeded: crc >> (8 * (3 - k))) }
        for (data, name) in [(bigJPEG, "big.jpg"), (Data(png), "big.png")] {
            let error = try #require(throws: VisionError.self) { try RGBImage.decode(data, path: name) }
            let text = "\(error)"
            #expect(text.contains(name) && text.contains("13000 x 13000") && text.contains("limit of 50000000 pixels"), "\(text)")
            #expect(text.contains("S2IGAN_MAX_IMAGE_PIXELS"), "\(text)")
        }
        // The unpatched files decode: the budget, not the patching, refuses them.
        #expect(try RGBImage.decode(jpeg).width == 8)
        #expect(try RGBImage.decode(small.encoded(as: .png())).width == 8)
    }
}
