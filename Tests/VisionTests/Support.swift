import Foundation
import S2IGANTensor
import S2IGANNN
import TestSupport
@testable import S2IGANVision
import S2IGANFormats

/// Golden files written by Tools/fixtures/make_vision_fixtures.py (Pillow 13, torchvision 0.29) and
/// Tools/fixtures/make_inception_fixtures.py (torchvision 0.29, pytorch-fid 0.3.0).
let fixtures = FixtureFolder(besides: #filePath)

/// A uint8 `H × W × 3` fixture as an image.
func fixtureImage(_ name: String) throws -> RGBImage {
    try RGBImage(array: NPY.read(fixtures.url(name)))
}

/// The largest absolute byte difference between two images of one size (Int.max when sizes differ).
func maximumDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
    guard a.width == b.width, a.height == b.height else { return Int.max }
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

