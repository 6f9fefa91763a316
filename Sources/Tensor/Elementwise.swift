import Foundation

/// A binary element-wise operation; kernels are specialised per operation, so the inner loops
/// contain no calls through closures.
public protocol BinaryElementwise {
    /// A name used in error messages, e.g. `add`.
    static var name: String { get }
    static func apply(_ a: Float, _ b: Float) -> Float
}

/// A unary element-wise operation (see ``BinaryElementwise``).
public protocol UnaryElementwise {
    static func apply(_ x: Float) -> Float
}

public enum AddOp: BinaryElementwise { public static let name = "add"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
public enum SubtractOp: BinaryElementwise { public static let name = "subtract"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
public enum MultiplyOp: BinaryElementwise { public static let name = "multiply"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
public enum DivideOp: BinaryElementwise { public static let name = "divide"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
public enum PowOp: BinaryElementwise { public static let name = "pow"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
/// Maximum that propagates NaN, as `torch.maximum`.
public enum MaximumOp: BinaryElementwise { public static let name = "maximum"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : (a > b ? a : b) } }
/// Minimum that propagates NaN, as `torch.minimum`.
public enum MinimumOp: BinaryElementwise { public static let name = "minimum"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a.isNaN || b.isNaN ? .nan : (a < b ? a : b) } }
public enum EqualOp: BinaryElementwise { public static let name = "equal"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
public enum NotEqualOp: BinaryElementwise { public static let name = "notEqual"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a != b ? 1 : 0 } }
public enum LessOp: BinaryElementwise { public static let name = "less"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
public enum LessEqualOp: BinaryElementwise { public static let name = "lessEqual"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
public enum GreaterOp: BinaryElementwise { public static let name = "greater"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
public enum GreaterEqualOp: BinaryElementwise { public static let name = "greaterEqual"; @inlinable public static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }

enum ExpOp: UnaryElementwise { static func apply(_ x: Float) -> Float { expf(x) } }
enum LogOp: UnaryElementwise { static func apply(_ x: Float) -> Float { logf(x) } }
enum SqrtOp: UnaryElementwise { static func apply(_ x: Float) -> Float { x.squareRoot() } }
enum TanhOp: UnaryElementwise { static func apply(_ x: Float) -> Float { tanhf(x) } }
enum AbsOp: UnaryElementwise { static func apply(_ x: Float) -> Float { abs(x) } }
enum NegateOp: UnaryElementwise { static func apply(_ x: Float) -> Float { -x } }
enum SquareOp: UnaryElementwise { static func apply(_ x: Float) -> Float { x * x } }
enum ReluOp: UnaryElementwise { static func apply(_ x: Float) -> Float { x > 0 ? x : (x.isNaN ? x : 0) } }
enum SignOp: UnaryElementwise { static func apply(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : x) } }
/// Numerically stable logistic function: never evaluates exp of a large positive number.
enum SigmoidOp: UnaryElementwise {
    static func apply(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }
}

/// Runs a binary operation over two tensors with NumPy broadcasting.
func broadcastBinary<Op: BinaryElementwise>(_ a: Tensor, _ b: Tensor, _: Op.Type) throws -> Tensor {
    let ap = a.storage.pointer, bp = b.storage.pointer
    if a.shape == b.shape {
        let result = Tensor(uninitializedShape: a.shape)
        let out = result.storage.pointer
        Parallel.forRanges(a.count, cost: 1) { r in
            for i in r { out[i] = Op.apply(ap[i], bp[i]) }
        }
        return result
    }
    let shape = try Shape.broadcast(a.shape, b.shape, Op.name)
    let result = Tensor(uninitializedShape: shape)
    let out = result.storage.pointer
    let n = result.count
    if n == 0 { return result }
    if b.count == 1 && a.count == n {
        let s = bp[0]
        Parallel.forRanges(n, cost: 1) { r in for i in r { out[i] = Op.apply(ap[i], s) } }
        return result
    }
    if a.count == 1 && b.count == n {
        let s = ap[0]
        Parallel.forRanges(n, cost: 1) { r in for i in r { out[i] = Op.apply(s, bp[i]) } }
        return result
    }
    // General case: rows of the last output axis; each operand steps by 0 or 1 along it.
    let rank = shape.count
    let sa = Shape.broadcastStrides(a.shape, to: shape), sb = Shape.broadcastStrides(b.shape, to: shape)
    let inner = shape[rank - 1]
    let ia = sa[rank - 1], ib = sb[rank - 1]
    Parallel.forRanges(n / inner, cost: inner) { rows in
        var index = [Int](repeating: 0, count: rank)
        var rem = rows.lowerBound
        var oa = 0, ob = 0
        for d in stride(from: rank - 2, through: 0, by: -1) {
            index[d] = rem % shape[d]
            rem /= shape[d]
            oa += index[d] * sa[d]
            ob += index[d] * sb[d]
        }
        for row in rows {
            let o = out + row * inner
            let pa = ap + oa, pb = bp + ob
            if ia == 1 && ib == 1 {
                for j in 0..<inner { o[j] = Op.apply(pa[j], pb[j]) }
            } else if ia == 1 {
                let y = pb[0]
                for j in 0..<inner { o[j] = Op.apply(pa[j], y) }
            } else if ib == 1 {
                let x = pa[0]
                for j in 0..<inner { o[j] = Op.apply(x, pb[j]) }
            } else {
                let v = Op.apply(pa[0], pb[0])
                for j in 0..<inner { o[j] = v }
            }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                oa += sa[d]
                ob += sb[d]
                if index[d] < shape[d] { break }
                oa -= sa[d] * shape[d]
                ob -= sb[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
    return result
}

func mapUnary<Op: UnaryElementwise>(_ x: Tensor, _: Op.Type) -> Tensor {
    let result = Tensor(uninitializedShape: x.shape)
    let src = x.storage.pointer, out = result.storage.pointer
    Parallel.forRanges(x.count, cost: 8) { r in
        for i in r { out[i] = Op.apply(src[i]) }
    }
    return result
}

extension Tensor {
    /// Applies `transform` to every element. For user code; the library's own kernels use specialised loops.
    public func map(_ transform: (Float) -> Float) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let src = storage.pointer, out = result.storage.pointer
        for i in 0..<count { out[i] = transform(src[i]) }
        return result
    }

    /// Applies a binary operation with broadcasting (the generic form of `+`, `maximum`, `less`, ...).
    public func elementwise<Op: BinaryElementwise>(_ op: Op.Type, _ other: Tensor) throws -> Tensor {
        try broadcastBinary(self, other, op)
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try broadcastBinary(a, b, AddOp.self) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try broadcastBinary(a, b, SubtractOp.self) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try broadcastBinary(a, b, MultiplyOp.self) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try broadcastBinary(a, b, DivideOp.self) }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static prefix func - (a: Tensor) -> Tensor { mapUnary(a, NegateOp.self) }

    /// `self * scale + shift`, element-wise.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let src = storage.pointer, out = result.storage.pointer
        Parallel.forRanges(count) { r in for i in r { out[i] = src[i] * scale + shift } }
        return result
    }

    public func pow(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, PowOp.self) }
    /// Each element raised to `exponent` (squares and square roots take exact fast paths).
    public func pow(_ exponent: Float) -> Tensor {
        if exponent == 2 { return mapUnary(self, SquareOp.self) }
        if exponent == 1 { return self }
        if exponent == 0.5 { return mapUnary(self, SqrtOp.self) }
        let result = Tensor(uninitializedShape: shape)
        let src = storage.pointer, out = result.storage.pointer
        Parallel.forRanges(count, cost: 16) { r in for i in r { out[i] = powf(src[i], exponent) } }
        return result
    }
    public func maximum(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, MaximumOp.self) }
    public func minimum(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, MinimumOp.self) }

    public func exp() -> Tensor { mapUnary(self, ExpOp.self) }
    public func log() -> Tensor { mapUnary(self, LogOp.self) }
    public func sqrt() -> Tensor { mapUnary(self, SqrtOp.self) }
    public func tanh() -> Tensor { mapUnary(self, TanhOp.self) }
    public func sigmoid() -> Tensor { mapUnary(self, SigmoidOp.self) }
    public func relu() -> Tensor { mapUnary(self, ReluOp.self) }
    public func abs() -> Tensor { mapUnary(self, AbsOp.self) }
    public func square() -> Tensor { mapUnary(self, SquareOp.self) }
    public func sign() -> Tensor { mapUnary(self, SignOp.self) }

    /// `x` where `x > 0`, else `negativeSlope * x` (`torch.nn.functional.leaky_relu`).
    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let src = storage.pointer, out = result.storage.pointer
        Parallel.forRanges(count) { r in
            for i in r { let x = src[i]; out[i] = x > 0 ? x : x * negativeSlope }
        }
        return result
    }

    /// Each element limited to `[min, max]` (either bound may be omitted); NaN stays NaN.
    public func clamped(min lower: Float? = nil, max upper: Float? = nil) throws -> Tensor {
        let lo = lower ?? -.infinity, hi = upper ?? .infinity
        guard !(lo > hi) else { throw TensorError.invalidArgument("clamp: min \(lo) is greater than max \(hi)") }
        let result = Tensor(uninitializedShape: shape)
        let src = storage.pointer, out = result.storage.pointer
        Parallel.forRanges(count) { r in
            for i in r { let x = src[i]; out[i] = x < lo ? lo : (x > hi ? hi : x) }
        }
        return result
    }

    /// 1 where equal, else 0 (likewise for the other comparisons); broadcasting as for arithmetic.
    public func equal(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, EqualOp.self) }
    public func notEqual(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, NotEqualOp.self) }
    public func less(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, LessOp.self) }
    public func lessEqual(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, LessEqualOp.self) }
    public func greater(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, GreaterOp.self) }
    public func greaterEqual(_ other: Tensor) throws -> Tensor { try broadcastBinary(self, other, GreaterEqualOp.self) }

    /// The indices of the rows (first-axis slices) that hold a NaN or an infinity, in order.
    public var nonFiniteRows: [Int] {
        guard let rows = shape.first, rows > 0 else { return isFinite ? [] : [0] }
        let width = count / rows, p = storage.pointer
        return (0..<rows).filter { r in (0..<width).contains { !p[r * width + $0].isFinite } }
    }

    /// Whether every element is finite (no NaN, no infinity): the check behind NaN-loss errors.
    public var isFinite: Bool {
        let p = storage.pointer
        for i in 0..<count where !p[i].isFinite { return false }
        return true
    }
}
