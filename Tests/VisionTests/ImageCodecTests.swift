import Foundation
import Tensor
import TestSupport
import Testing
@testable import Vision

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
            let error = #expect(throws: TensorError.self) { try RGBImage.read(fixtures.url(name)) }
            #expect(error?.description.contains(name) == true)
            #expect(error?.description.contains("exceeds the limit") == true, "\(String(describing: error))")
        }
    }

    @Test func missingEmptyAndForeignFilesAreNamedErrors() throws {
        let missing = fixtures.url("no-such-image.png")
        #expect(throws: TensorError.file(path: missing.path, reason: "no such file")) { try RGBImage.read(missing) }
        #expect(throws: TensorError.file(path: "x.png", reason: "image: empty file")) { try RGBImage.decode(Data(), path: "x.png") }
        #expect(throws: TensorError.file(path: "x.png", reason: "image: not a JPEG or PNG file")) {
            try RGBImage.decode(Data("GIF89a".utf8), path: "x.png")
        }
    }

    /// Every truncation of a small PNG and JPEG, and random byte damage, gives an error or an image —
    /// never a crash; truncations must be errors.
    @Test func truncatedAndCorruptFilesNeverTrap() throws {
        for name in ["png_rgb8.png", "png_interlaced.png", "png_palette.png", "jpeg_q90.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg"] {
            let data = try Data(contentsOf: fixtures.url(name))
            for length in Swift.stride(from: 0, to: data.count - 1, by: 7) {
                #expect(throws: TensorError.self, "\(name) cut at \(length)") { try RGBImage.decode(data.prefix(length), path: name) }
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
        #expect(throws: TensorError.self) { try source.write(to: directory.appendingPathComponent("a.gif")) }
    }
}
