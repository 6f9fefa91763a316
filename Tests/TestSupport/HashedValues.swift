import S2IGANTensor

/// The counter-based values of Tools/fixtures/hashed_values.py (the fixture scripts' weights and inputs): FNV-1a 64 of the name, a
/// splitmix64-style mix of `hash + (j + 1)·golden`, the top 24 bits as a fraction in [0, 1). Computed in
/// integers and doubles exactly as NumPy does, so the weights (and inputs) are bit-identical to the script's.
public enum HashedValues {
    public static func fnv1a64(_ name: String) -> UInt64 { FNV1a.hash(bytes: name.utf8) }

    public static func unit(_ name: String, count: Int) -> [Double] {
        let h = fnv1a64(name)
        return (0..<count).map { j in
            let z = SplitMix64.mix(h &+ (UInt64(j) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
            return Double(z >> 40) / 16_777_216
        }
    }

    /// The script's rule for a state-dict entry.
    public static func parameter(_ name: String, shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        if name.hasSuffix("num_batches_tracked") { return try Tensor.zeros(shape) }
        let u = unit(name, count: n)
        let values: [Double]
        if shape.count >= 2 {
            let bound = (6 / Double(shape.dropFirst().reduce(1, *))).squareRoot()
            values = u.map { (2 * $0 - 1) * bound }
        } else if name.hasSuffix("running_mean") {
            values = u.map { 0.2 * $0 - 0.1 }
        } else if name.hasSuffix("running_var") {
            values = u.map { 0.6 + 0.8 * $0 }
        } else if name.hasSuffix("weight") {
            // A 1-d weight is a normalisation layer's scale (Inception's `….bn.weight`, `img_code_s16.1.weight`).
            values = u.map { 0.8 + 0.4 * $0 }
        } else {
            values = u.map { 0.2 * $0 - 0.1 }
        }
        return try Tensor(shape: shape, scalars: values.map { Float($0) })
    }

    /// The script's values for every entry of a state dict (`model.load(stateDict: HashedValues.stateDict(like: model.stateDict()))`),
    /// each hashed from its name, or from `<prefix>.<name>` with a prefix.
    public static func stateDict(like entries: [(String, Tensor)], prefix: String? = nil) throws -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, value) in entries { state[name] = try parameter(prefix.map { "\($0).\(name)" } ?? name, shape: value.shape) }
        return state
    }

    /// 8-bit pixel values `floor(256 u)` (as floats 0…255) of `name`: Tools/fixtures/make_rdg_reference_fixtures.py's images.
    public static func pixels(_ name: String, shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, scalars: unit(name, count: shape.reduce(1, *)).map { Float(($0 * 256).rounded(.down)) })
    }
}
