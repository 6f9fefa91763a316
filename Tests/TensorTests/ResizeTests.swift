import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct ResizeTests {
    let f: SafeTensorsFile
    let x: Tensor

    init() throws {
        f = try fixtures.load("resize")
        x = try f.tensor("x")
    }

    @Test(arguments: [2, 3])
    func nearestUpsamplingMatchesPyTorch(_ scale: Int) throws {
        let name = "nearest\(scale)"
        expectClose(try x.upsampledNearest(scale: scale), try f.tensor("\(name).out"), "\(name) forward")
        expectClose(try f.tensor("\(name).grad_out").upsampleNearestBackward(scale: scale), try f.tensor("\(name).grad_x"),
                    "\(name) backward")
    }

    @Test(arguments: [("bilinear_up", 11, 16), ("bilinear_down", 3, 4), ("bilinear_mixed", 8, 5)])
    func bilinearResizeMatchesPyTorch(_ name: String, _ h: Int, _ w: Int) throws {
        expectClose(try x.resizedBilinear(height: h, width: w), try f.tensor("\(name).out"), "\(name) forward")
        expectClose(try f.tensor("\(name).grad_out").resizeBilinearBackward(height: 5, width: 7), try f.tensor("\(name).grad_x"),
                    rtol: 1e-5, atol: 1e-5, "\(name) backward")
    }

    @Test func bilinearResizeOfTheInceptionKind() throws {
        expectClose(try f.tensor("x256").resizedBilinear(height: 23, width: 23), try f.tensor("bilinear_299.out"), "16→23")
    }

    @Test func handDerivedMiddleStretch() throws {
        let x = try Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
        // Rows 0, 1, 1, 2 and columns 0, 1, 1, 1, 2 of the 3 × 3 plane.
        #expect(try x.stretchedMiddle(height: 4, width: 5).scalars == [1, 2, 2, 2, 3, 4, 5, 5, 5, 6, 4, 5, 5, 5, 6, 7, 8, 8, 8, 9])
        #expect(try x.stretchedMiddle(height: 3, width: 3).scalars == x.scalars)
        // Backward of ones counts the readers of each input element: 1 at the corners, 2 or 3 on the edges, 6 inside.
        #expect(try Tensor.ones([1, 1, 4, 5]).stretchedMiddleBackward(height: 3, width: 3).scalars == [1, 3, 1, 2, 6, 2, 1, 3, 1])
        let wide = try Tensor(shape: [1, 1, 5, 5], scalars: (0..<25).map(Float.init)).stretchedMiddle(height: 6, width: 7)
        #expect(try wide.slice(axis: 2, start: 0, end: 1).scalars == [0, 1, 2, 2, 2, 3, 4])
        #expect(try wide.slice(axis: 2, start: 5, end: 6).scalars == [20, 21, 22, 22, 22, 23, 24])
        #expect(throws: TensorError.self) { try x.stretchedMiddle(height: 2, width: 5) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 2, 3]).stretchedMiddle(height: 4, width: 4) }
    }

    @Test func handDerivedResize() throws {
        let x = try Tensor(shape: [1, 1, 1, 2], scalars: [0, 4])
        // align_corners=False: output pixel centres map to -0.25, 0.25, 0.75, 1.25 → clamped and interpolated.
        #expect(try x.resizedBilinear(height: 1, width: 4).scalars == [0, 1, 3, 4])
        #expect(try x.upsampledNearest(scale: 2).scalars == [0, 0, 4, 4, 0, 0, 4, 4])
        #expect(throws: TensorError.self) { try x.resizedBilinear(height: 0, width: 3) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 1, 3, 3]).upsampleNearestBackward(scale: 2) }
    }
}
