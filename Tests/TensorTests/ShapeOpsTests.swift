import Foundation
import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct ShapeOpsTests {
    let f: SafeTensorsFile
    let x: Tensor

    init() throws {
        f = try fixtures.load("shapeops")
        x = try f.tensor("x")
    }

    @Test func layoutOperationsMatchPyTorch() throws {
        #expect(try x.permuted([2, 0, 1]).isIdentical(to: f.tensor("permute_201")))
        #expect(try x.slice(axis: 1, start: 1, end: 3).isIdentical(to: f.tensor("slice_1_1_3")))
        #expect(try x.slice(axis: 2, step: 2).isIdentical(to: f.tensor("slice_2_step2")))
        let twice = try x.slice(axis: 1, end: 2) * 2
        #expect(try Tensor.concatenate([x, twice], axis: 1).isIdentical(to: f.tensor("cat_1")))
        #expect(try Tensor.stack([x, -x], axis: 1).isIdentical(to: f.tensor("stack_1")))
        #expect(try x.indexSelect(axis: 1, indices: [2, 0, 2]).isIdentical(to: f.tensor("index_select_1")))
        let idx = try f.tensor("gather_idx")
        #expect(try x.gather(axis: 1, index: IndexTensor(shape: idx.shape, indices: intValues(idx))).isIdentical(to: f.tensor("gather_1")))
    }

    @Test func paddingMatchesPyTorch() throws {
        #expect(try x.padded([(0, 1), (1, 2)], mode: .constant(-1.5)).isIdentical(to: f.tensor("pad_const")))
        #expect(try x.padded([(1, 2), (2, 1)], mode: .reflect).isIdentical(to: f.tensor("pad_reflect")))
        #expect(try x.padded([(1, 2), (2, 1)], mode: .replicate).isIdentical(to: f.tensor("pad_replicate")))
        #expect(throws: TensorError.self) { try x.padded([(4, 0)], mode: .reflect) }
        #expect(throws: TensorError.self) { try x.padded([(-1, 0)]) }
    }

    @Test func selectionMatchesPyTorch() throws {
        let mask = try f.tensor("mask")
        #expect(try x.maskedFill(mask, with: 9).isIdentical(to: f.tensor("masked")))
        let other = Tensor([10, 20, 30, 40])
        #expect(try Tensor.where(x.greater(Tensor(0)), x, other).isIdentical(to: f.tensor("where_out")))
    }

    @Test func reshapeSplitAndShapeErrors() throws {
        #expect(try x.reshaped([4, -1]).shape == [4, 6])
        #expect(try x.flattened(from: 1).shape == [2, 12])
        #expect(try x.unsqueezed(axis: -1).shape == [2, 3, 4, 1])
        #expect(try x.transposed().shape == [2, 4, 3])
        let parts = try x.split(sizes: [1, 2], axis: 1)
        #expect(parts.map(\.shape) == [[2, 1, 4], [2, 2, 4]])
        #expect(try Tensor.concatenate(parts, axis: 1).isIdentical(to: x))
        #expect(try x.chunked(3, axis: 2).map { $0.shape[2] } == [2, 2])
        #expect(try x.broadcast(to: [5, 2, 3, 4]).shape == [5, 2, 3, 4])
        #expect(throws: TensorError.self) { try x.reshaped([5, -1]) }
        #expect(throws: TensorError.self) { try x.permuted([0, 0, 1]) }
        #expect(throws: TensorError.self) { try x.split(sizes: [1, 1], axis: 1) }
        #expect(throws: TensorError.self) { try Tensor.concatenate([x, try Tensor.zeros([2, 3, 5])], axis: 1) }
        #expect(throws: TensorError.self) { try x.indexSelect(axis: 0, indices: [2]) }
        #expect(throws: TensorError.self) { try x.gather(axis: 1, index: IndexTensor(shape: [2, 1, 4], indices: [Int](repeating: 3, count: 8))) }
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: TensorError.self) { try x.value(at: [0, 3, 0]) }
    }

    @Test func copyOnWriteKeepsCopiesIndependent() throws {
        let a = try Tensor.zeros([3])
        var b = a
        try b.setValue(5, at: [1])
        #expect(a.scalars == [0, 0, 0] && b.scalars == [0, 5, 0])
        let r = try b.reshaped([3, 1])
        try b.setValue(7, at: [0])
        #expect(r.scalars == [0, 5, 0])
    }

    @Test func creation() throws {
        #expect(try Tensor.arange(0, 5, step: 2).scalars == [0, 2, 4])
        #expect(try Tensor.arange(1, 0, step: -0.5).scalars == [1, 0.5])
        #expect(try Tensor.linspace(0, 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(try Tensor.eye(2).scalars == [1, 0, 0, 1])
        #expect(try Tensor.full([2], value: 3).scalars == [3, 3])
        #expect(throws: TensorError.self) { try Tensor.arange(0, 1, step: 0) }
        #expect(throws: TensorError.self) { try Tensor.zeros([-1]) }
    }
}

/// Shapes that cannot become tensors are errors, not traps or aborts.
@Suite struct HostileShapeTests {
    @Test func overflowingAndOversizedShapesThrow() throws {
        let overflow = try #require(throws: TensorError.self) { try Tensor.zeros([1 << 40, 1 << 40]) }
        #expect("\(overflow)".contains("more elements than can be counted"))
        let huge = try #require(throws: TensorError.self) { try Tensor.zeros([1 << 40]) }
        #expect("\(huge)".contains("4.4 TB, more than this machine's memory allows"), "\(huge)")
        var rng = RandomGenerator(seed: 1)
        #expect(throws: TensorError.self) { try Tensor.normal([1 << 62, 4], using: &rng) }
        #expect(Shape.count([1 << 40, 1 << 40]) == Int.max)
        #expect(throws: TensorError.self) { try TypedArray(scalarType: .float32, shape: [1 << 62, 8], bytes: Data()) }
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3, 4]).reshaped([1 << 40, 1 << 40]) }
    }
}
