import Foundation
import S2IGANTensor
import Testing
@testable import S2IGANVision

/// Coverage cases derived by hand: exact horizontally, five sub-scanlines (at 0.1, 0.3, … 0.9) vertically.
@Suite struct CanvasTests {
    func byte(_ image: RGBImage, _ x: Int, _ y: Int) -> UInt8 { image.pixels[3 * (y * image.width + x)] }

    func coveredArea(_ image: RGBImage) -> Double {
        stride(from: 0, to: image.pixels.count, by: 3).reduce(0) { $0 + Double(image.pixels[$1]) / 255 }
    }

    @Test func rectangleCoverageIsExactHorizontally() throws {
        var canvas = try Canvas(width: 6, height: 6)
        canvas.fill([CanvasPoint(x: 1.25, y: 2), CanvasPoint(x: 3.75, y: 2), CanvasPoint(x: 3.75, y: 4), CanvasPoint(x: 1.25, y: 4)],
                    paint: .solid(.white))
        let image = canvas.image()
        for y in [2, 3] {
            #expect(byte(image, 0, y) == 0)
            #expect(byte(image, 1, y) == 191)  // 0.75 · 255 = 191.25
            #expect(byte(image, 2, y) == 255)
            #expect(byte(image, 3, y) == 191)
            #expect(byte(image, 4, y) == 0)
        }
        #expect((0..<6).allSatisfy { byte(image, $0, 1) == 0 && byte(image, $0, 4) == 0 })
    }

    @Test func verticalCoverageCountsSubScanlines() throws {
        // y from 0.5 to 1.5: row 0 holds the sub-scanlines 0.5, 0.7, 0.9 (3 of 5), row 1 holds 1.1 and 1.3.
        var canvas = try Canvas(width: 3, height: 3)
        canvas.fill([CanvasPoint(x: 0, y: 0.5), CanvasPoint(x: 3, y: 0.5), CanvasPoint(x: 3, y: 1.5), CanvasPoint(x: 0, y: 1.5)],
                    paint: .solid(.white))
        let image = canvas.image()
        #expect(byte(image, 1, 0) == 153)
        #expect(byte(image, 1, 1) == 102)
        #expect(byte(image, 1, 2) == 0)
    }

    @Test func polygonAndEllipseAreasMatchGeometry() throws {
        var canvas = try Canvas(width: 100, height: 100)
        canvas.fill([CanvasPoint(x: 10, y: 10), CanvasPoint(x: 90, y: 20), CanvasPoint(x: 40, y: 80)], paint: .solid(.white))
        let triangle: Double = 2_650  // |(90 − 10)(80 − 10) − (40 − 10)(20 − 10)| / 2
        #expect(abs(coveredArea(canvas.image()) - triangle) / triangle < 0.005)

        var round = try Canvas(width: 100, height: 100)
        round.fillEllipse(center: CanvasPoint(x: 50.3, y: 48.7), radiusX: 30, radiusY: 17, rotation: 0.6, paint: .solid(.white))
        let ellipse = Double.pi * 30 * 17
        #expect(abs(coveredArea(round.image()) - ellipse) / ellipse < 0.005)
    }

    @Test func nonZeroWindingFillsTheMiddleOfAStar() throws {
        var canvas = try Canvas(width: 40, height: 40)
        let star = (0..<5).map { CanvasPoint.polar(center: CanvasPoint(x: 20, y: 20), radius: 18, angle: Double($0 * 2) * 2 * .pi / 5) }
        canvas.fill(star, paint: .solid(.white))
        let image = canvas.image()
        #expect(byte(image, 20, 20) == 255)
        #expect(byte(image, 1, 1) == 0)
    }

    @Test func gradientsAndOpacity() throws {
        var canvas = try Canvas(width: 4, height: 10)
        canvas.fillAll(.linear(from: CanvasPoint(x: 0, y: 0), start: .black, to: CanvasPoint(x: 0, y: 10), end: .white))
        let image = canvas.image()
        #expect(byte(image, 2, 4) == 115)  // centre 4.5 → 0.45 · 255 = 114.75
        #expect(byte(image, 0, 9) == 242)  // 0.95 · 255 = 242.25

        var radial = try Canvas(width: 11, height: 11)
        radial.fillAll(.radial(center: CanvasPoint(x: 5.5, y: 5.5), radius: 4, inner: .white, outer: .black))
        let r = radial.image()
        #expect(byte(r, 5, 5) == 255)
        #expect(byte(r, 7, 5) == 128)  // distance 2 of 4 → 0.5 · 255 = 127.5, rounded up
        #expect(byte(r, 0, 0) == 0)

        var veil = try Canvas(width: 2, height: 2)
        let square = [CanvasPoint(x: 0, y: 0), CanvasPoint(x: 2, y: 0), CanvasPoint(x: 2, y: 2), CanvasPoint(x: 0, y: 2)]
        veil.fill(square, paint: .solid(.white), opacity: 0.5)
        #expect(byte(veil.image(), 1, 1) == 128)
        veil.fill(square, paint: .solid(.white), opacity: 0.5)
        #expect(byte(veil.image(), 1, 1) == 191)  // 0.75 · 255 = 191.25
    }

    @Test func emptyCanvasIsAnError() {
        #expect(throws: VisionError.self) { try Canvas(width: 0, height: 3) }
    }
}
