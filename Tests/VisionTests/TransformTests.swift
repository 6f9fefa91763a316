import Foundation
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANVision
import S2IGANFormats

/// Resizing, cropping and flipping against Pillow / torchvision, and tensor conversions against PyTorch.
@Suite struct TransformTests {
    @Test(arguments: [(35, 26), (17, 13), (71, 20), (30, 53), (100, 75), (142, 106), (64, 64), (9, 7), (1, 1)])
    func resizeMatchesPillowBilinearByteForByte(_ size: (Int, Int)) throws {
        let source = try fixtureImage("resize_src.npy")
        let resized = try source.resized(width: size.0, height: size.1)
        #expect(maximumDifference(resized, try fixtureImage("resize_\(size.0)x\(size.1).npy")) == 0, "\(size)")
    }

    @Test func shorterSideResizeFollowsTorchvision() throws {
        let wide = try fixtureImage("resize_src.npy"), tall = try fixtureImage("resize_src_t.npy")
        let a = try wide.resized(shorterSide: 24), b = try tall.resized(shorterSide: 24)
        #expect((a.width, a.height) == (32, 24) && (b.width, b.height) == (24, 32))
        #expect(maximumDifference(a, try fixtureImage("tv_resize24.npy")) == 0)
        #expect(maximumDifference(b, try fixtureImage("tv_resize24_t.npy")) == 0)
        #expect(try wide.resized(shorterSide: 53) == wide)
        #expect(throws: VisionError.self) { try wide.resized(width: 0, height: 3) }
    }

    @Test func pyramidIsResizedFromTheCrop() throws {
        let levels = try fixtureImage("pyramid_src.npy").pyramid(sizes: [24, 48, 96])
        #expect(maximumDifference(levels[0], try fixtureImage("pyramid_24.npy")) == 0)
        #expect(maximumDifference(levels[1], try fixtureImage("pyramid_48.npy")) == 0)
        #expect(levels[2] == (try fixtureImage("pyramid_src.npy")))
    }

    @Test func centerCropRoundsHalfToEvenAndPads() throws {
        let source = try fixtureImage("resize_src.npy")
        for (h, w) in [(20, 30), (52, 70), (60, 80)] {
            let crop = try source.centerCropped(width: w, height: h)
            #expect(maximumDifference(crop, try fixtureImage("centercrop_\(h)x\(w).npy")) == 0, "\(h)×\(w)")
        }
    }

    @Test func flipMirrorsColumns() throws {
        let source = try fixtureImage("resize_src.npy")
        #expect(source.horizontallyFlipped() == (try fixtureImage("hflip.npy")))
        #expect(source.horizontallyFlipped().horizontallyFlipped() == source)
    }

    @Test func cubBoundingBoxCropFollowsTheReference() throws {
        let source = try fixtureImage("resize_src.npy")
        let boxes = [BoundingBox(x: 10, y: 8, width: 30, height: 20), BoundingBox(x: 0, y: 0, width: 71, height: 53),
                     BoundingBox(x: 50, y: 40, width: 15, height: 10)]
        let expected = [CropBox(left: 3, top: 0, right: 47, bottom: 40), CropBox(left: 0, top: 0, right: 71, bottom: 53),
                        CropBox(left: 46, top: 34, right: 68, bottom: 53)]
        for (i, box) in boxes.enumerated() {
            let crop = box.referenceCrop(imageWidth: source.width, imageHeight: source.height)
            #expect(crop == expected[i])
            #expect(maximumDifference(try source.cropped(to: crop), try fixtureImage("bbox_crop_\(i).npy")) == 0)
        }
    }

    @Test func cropOutsideTheImageIsBlack() throws {
        let image = RGBImage(width: 2, height: 2, fill: (10, 20, 30))
        let crop = try image.cropped(to: CropBox(left: -1, top: 1, right: 2, bottom: 3))
        #expect((crop.width, crop.height) == (3, 2))
        #expect(crop[0, 0] == (0, 0, 0) && crop[1, 0] == (10, 20, 30) && crop[2, 1] == (0, 0, 0))
        #expect(throws: VisionError.self) { try image.cropped(to: CropBox(left: 1, top: 0, right: 1, bottom: 2)) }
    }

    @Test func augmentationIsSeededAndHasTheReferenceSizes() throws {
        let reference = ReferenceAugmentation.reference()
        #expect(reference.resizeSize == 304 && reference.cropSize == 256)
        let small = ReferenceAugmentation(resizeSize: 40, cropSize: 32)
        let source = try fixtureImage("resize_src.npy")
        var a = RandomGenerator(seed: 3), b = RandomGenerator(seed: 3)
        let first = try (0..<6).map { _ in try small.apply(to: source, using: &a) }
        let second = try (0..<6).map { _ in try small.apply(to: source, using: &b) }
        #expect(first == second)
        #expect(first.allSatisfy { $0.width == 32 && $0.height == 32 })
        // Each output is a crop of the resized image, possibly mirrored.
        let resized = try source.resized(shorterSide: 40)
        var crops: Set<[UInt8]> = []
        for left in 0...(resized.width - 32) {
            for top in 0...(resized.height - 32) {
                let crop = try resized.cropped(to: CropBox(left: left, top: top, right: left + 32, bottom: top + 32))
                crops.insert(crop.pixels)
                crops.insert(crop.horizontallyFlipped().pixels)
            }
        }
        #expect(first.allSatisfy { crops.contains($0.pixels) })
        #expect(Set(first.map(\.pixels)).count > 1)
    }

    @Test func tensorConversionsMatchToTensorAndNormalize() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 128, 255, 1, 2, 3])
        let unit = image.tensor()
        #expect(unit.shape == [3, 1, 2])
        #expect(unit.scalars == [0, Float(1) / 255, Float(128) / 255, Float(2) / 255, 1, Float(3) / 255])
        let signed = image.tensor(range: .signed)
        #expect(signed.scalars[0] == -1 && signed.scalars[4] == 1)
        #expect(try RGBImage(tensor: unit) == image)
        #expect(try RGBImage(tensor: signed, range: .signed) == image)
        let normalized = try unit.normalizedChannels(mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        #expect(normalized.scalars == signed.scalars)
        #expect(throws: VisionError.self) { try RGBImage(tensor: Tensor.zeros([4, 2, 2])) }
    }

    /// S2IGAN's output conversion truncates `(x + 1) / 2 · 255` in float32 (so 2k/255 − 1 can land on k − 1).
    @Test func referenceOutputConversionTruncates() throws {
        let x = try NPY.readTensor(fixtures.url("to_uint8_input.npy"))
        let expected = try NPY.read(fixtures.url("to_uint8.npy"))
        let ours = x.scalars.map { RGBImage.quantize($0, range: .signed, quantization: .truncate) }
        #expect(ours == [UInt8](expected.bytes))
    }

    @Test func bilinearInterpolationMatchesPyTorch() throws {
        let input = try NPY.readTensor(fixtures.url("interp_input.npy"))
        for (h, w) in [(40, 50), (11, 17)] {
            let expected = try NPY.readTensor(fixtures.url("interp_\(h)x\(w).npy"))
            expectClose(try input.resizedBilinear(height: h, width: w), expected, rtol: 1e-5, atol: 1e-5, "\(h)×\(w)")
        }
    }

    @Test func gridMatchesTorchvisionMakeGrid() throws {
        let batch = try NPY.readTensor(fixtures.url("grid_input.npy"))
        expectClose(try ImageGrid.make(batch, columns: 3, padding: 2), try NPY.readTensor(fixtures.url("grid.npy")), rtol: 0, atol: 0)
        expectClose(try ImageGrid.make(batch, columns: 2, padding: 1, padValue: 1), try NPY.readTensor(fixtures.url("grid_nrow2.npy")),
                    rtol: 0, atol: 0)
        let image = try RGBImage(tensor: ImageGrid.make(batch, columns: 3, padding: 2))
        #expect(image == (try fixtureImage("grid_uint8.npy")))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("grid-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try ImageGrid.save(batch, to: url, columns: 3, padding: 2)
        #expect(try RGBImage.read(url) == image)
    }
}
