import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct ReductionTests {
    let f: SafeTensorsFile
    let x: Tensor

    init() throws {
        f = try fixtures.load("reductions")
        x = try f.tensor("x")
    }

    func golden(_ name: String) throws -> Tensor { try f.tensor(name) }

    @Test func sumsAndMeansOverAnyAxes() throws {
        expectClose(try x.sum(), try golden("sum_all"), "sum all")
        expectClose(try x.sum(axes: [1]), try golden("sum_1"), "sum 1")
        expectClose(try x.sum(axes: [0, 2]), try golden("sum_0_2"), "sum 0,2")
        expectClose(try x.sum(axes: [1, 3], keepDims: true), try golden("sum_1_3_keep"), "sum 1,3 keep")
        expectClose(try x.sum(axes: [-3, -1], keepDims: true), try golden("sum_1_3_keep"), "negative axes")
        expectClose(try x.mean(axes: [3]), try golden("mean_3"), "mean 3")
        expectClose(try x.mean(axes: [0, 1], keepDims: true), try golden("mean_0_1_keep"), "mean 0,1 keep")
    }

    @Test func variance() throws {
        expectClose(try x.variance(axes: [1, 3]), try golden("var_1_3"), "unbiased")
        expectClose(try x.variance(axes: [2], correction: 0), try golden("var_2_pop"), "population")
    }

    @Test func extremaWithIndices() throws {
        let (mv, mi) = try x.max(alongAxis: 2)
        expectClose(mv, try golden("max_2_values"), "max values")
        #expect(mi.indices == intValues(try golden("max_2_indices")))
        let (nv, ni) = try x.min(alongAxis: 0)
        expectClose(nv, try golden("min_0_values"), "min values")
        #expect(ni.indices == intValues(try golden("min_0_indices")))
        #expect(try x.argmax(axis: 3).indices == intValues(try golden("argmax_3")))
        expectClose(try x.max(axes: [1, 3]), try golden("amax_1_3"), "amax")
        // Ties go to the first position; NaN wins.
        #expect(try Tensor([3, 1, 3]).argmax(axis: 0).indices == [0])
        let (v, i) = try Tensor([1, .nan, 5]).max(alongAxis: 0)
        #expect(try v.item().isNaN && i.indices == [1])
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 0]).max(alongAxis: 1) }
    }

    @Test func logSumExpAndSoftmax() throws {
        expectClose(try x.logSumExp(axes: [1]), try golden("logsumexp_1"), "logsumexp 1")
        expectClose(try x.logSumExp(axes: [2, 3], keepDims: true), try golden("logsumexp_2_3_keep"), "logsumexp 2,3")
        expectClose(try x.softmax(axis: 1), try golden("softmax_1"), "softmax 1")
        expectClose(try x.softmax(axis: 3), try golden("softmax_3"), "softmax 3")
        expectClose(try x.logSoftmax(axis: 1), try golden("log_softmax_1"), "log_softmax 1")
        expectClose(try x.logSoftmax(axis: -1), try golden("log_softmax_3"), "log_softmax 3")
        // Large values neither overflow nor lose the answer.
        let big = try Tensor([1000, 1000]).logSumExp()
        #expect(abs(try big.item() - (1000 + Float(0.6931472))) < 1e-3)
        #expect(try Tensor([-Float.infinity, -Float.infinity]).logSumExp().item() == -.infinity)
    }

    @Test func l2Normalisation() throws {
        expectClose(try x.l2Normalized(axis: 1), try golden("normalize_1"), "normalize 1")
        expectClose(try x.l2Normalized(axis: 3), try golden("normalize_3"), "normalize 3")
        #expect(try Tensor([3, 4]).l2Normalized().scalars == [0.6, 0.8])
        #expect(try Tensor([0, 0]).l2Normalized().scalars == [0, 0])
    }

    @Test func badAxesThrow() throws {
        #expect(throws: TensorError.self) { try x.sum(axes: [4]) }
        #expect(throws: TensorError.self) { try x.sum(axes: [1, -3]) }
    }
}
