import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct PoolingTests {
    let f: SafeTensorsFile
    let cases: [String: [String: Any]]
    let x: Tensor

    init() throws {
        f = try fixtures.load("pool")
        cases = try fixtures.cases(f)
        x = try f.tensor("x")
    }

    func pair(_ c: [String: Any], _ key: String) -> IntPair {
        let v = (c[key] as? [Any] ?? []).ints
        return IntPair(v[0], v[1])
    }

    @Test(arguments: ["mp1", "mp2", "mp3"])
    func maxPoolingMatchesPyTorch(_ name: String) throws {
        let c = try #require(cases[name])
        let (k, s, p) = (pair(c, "kernel"), pair(c, "stride"), pair(c, "padding"))
        let ceil = c["ceil_mode"] as? Bool ?? false
        let (y, indices) = try Tensor.maxPool2d(x, kernel: k, stride: s, padding: p, ceilMode: ceil)
        expectClose(y, try f.tensor("\(name).out"), "\(name) forward")
        expectClose(try Tensor.maxPool2dValues(x, kernel: k, stride: s, padding: p, ceilMode: ceil), try f.tensor("\(name).out"), "\(name) values only")
        #expect(indices.indices == intValues(try f.tensor("\(name).indices")))
        let gx = try Tensor.maxPool2dBackward(f.tensor("\(name).grad_out"), indices: indices, inputShape: x.shape)
        expectClose(gx, try f.tensor("\(name).grad_x"), "\(name) backward")
    }

    @Test(arguments: ["ap1", "ap2", "ap3", "ap4"])
    func averagePoolingMatchesPyTorch(_ name: String) throws {
        let c = try #require(cases[name])
        let (k, s, p) = (pair(c, "kernel"), pair(c, "stride"), pair(c, "padding"))
        let ceil = c["ceil_mode"] as? Bool ?? false, include = c["count_include_pad"] as? Bool ?? true
        let y = try Tensor.avgPool2d(x, kernel: k, stride: s, padding: p, ceilMode: ceil, countIncludePad: include)
        expectClose(y, try f.tensor("\(name).out"), "\(name) forward")
        let gx = try Tensor.avgPool2dBackward(f.tensor("\(name).grad_out"), inputShape: x.shape, kernel: k, stride: s,
                                              padding: p, ceilMode: ceil, countIncludePad: include)
        expectClose(gx, try f.tensor("\(name).grad_x"), "\(name) backward")
    }

    @Test func handDerivedPooling() throws {
        let x = try Tensor.arange(0, 16).reshaped([1, 1, 4, 4])
        let (y, i) = try Tensor.maxPool2d(x, kernel: 2)
        #expect(y.scalars == [5, 7, 13, 15] && i.indices == [5, 7, 13, 15])
        #expect(try Tensor.avgPool2d(x, kernel: 2).scalars == [2.5, 4.5, 10.5, 12.5])
        // With one pixel of padding, the corner window holds one real value: 0/4 with the pad counted, 0/1 without.
        let counted = try Tensor.avgPool2d(x + 1, kernel: 2, stride: 2, padding: 1)
        let uncounted = try Tensor.avgPool2d(x + 1, kernel: 2, stride: 2, padding: 1, countIncludePad: false)
        #expect(counted.scalars[0] == 0.25 && uncounted.scalars[0] == 1)
    }

    /// The values-only path (separable when there is no padding) against the indexed one, NaN included: a window
    /// holding a NaN gives NaN wherever the NaN sits in it.
    @Test(arguments: [(3, 2), (3, 1), (2, 2), (3, 3), (1, 1)])
    func valuesOnlyMaxPoolingAgreesWithTheIndexedOne(kernel: Int, step: Int) throws {
        var rng = RandomGenerator(seed: UInt64(kernel * 10 + step))
        var values = try Tensor.normal([2, 3, 11, 9], using: &rng).scalars
        for i in stride(from: 5, to: values.count, by: 37) { values[i] = .nan }
        let input = try Tensor(shape: [2, 3, 11, 9], scalars: values)
        let indexed = try Tensor.maxPool2d(input, kernel: IntPair(kernel, kernel), stride: IntPair(step, step)).output.scalars
        let plain = try Tensor.maxPool2dValues(input, kernel: IntPair(kernel, kernel), stride: IntPair(step, step)).scalars
        #expect(indexed.count == plain.count)
        #expect(indexed.contains { $0.isNaN })
        for (a, b) in zip(indexed, plain) { #expect(a == b || (a.isNaN && b.isNaN), "\(a) vs \(b)") }
    }

    @Test func invalidPoolingThrows() throws {
        #expect(throws: TensorError.self) { try Tensor.maxPool2d(x, kernel: 9) }
        #expect(throws: TensorError.self) { try Tensor.maxPool2d(x, kernel: 2, padding: 2) }
        #expect(throws: TensorError.self) { try Tensor.avgPool2d(try Tensor.zeros([3, 4]), kernel: 2) }
    }
}
