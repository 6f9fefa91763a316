import Foundation
import S2IGANTensor

/// A value decoded from a Python pickle.
public indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict (or `collections.OrderedDict`) with its items in insertion order.
    case dict([PickleEntry])
    /// A set or frozenset, in the order the pickle lists its items.
    case set([PickleValue])
    /// A NumPy array of numbers (C order, little-endian).
    case array(TypedArray)
    /// A NumPy array of Python objects (`dtype=object`), C order.
    case objectArray(shape: [Int], elements: [PickleValue])
    /// A reference to a Python class or function by its dotted name (as inside PyTorch's storage ids).
    case global(String)

    /// The value of a dict entry with a string key.
    public subscript(key: String) -> PickleValue? {
        guard case .dict(let entries) = self else { return nil }
        return entries.first { $0.key == .string(key) }?.value
    }

    /// The items of a list or tuple.
    public var items: [PickleValue]? {
        switch self {
        case .list(let v), .tuple(let v): return v
        default: return nil
        }
    }
}

/// One item of a pickled dict.
public struct PickleEntry: Sendable, Equatable {
    public var key: PickleValue
    public var value: PickleValue
    public init(key: PickleValue, value: PickleValue) { (self.key, self.value) = (key, value) }
}

/// A reader for Python pickles (protocols 0–5) that executes nothing.
///
/// Besides Python's own values it rebuilds the records that S2IGAN's files contain — NumPy arrays and
/// scalars (`numpy.core.multiarray._reconstruct` or `numpy._core…`, with `__setstate__`), object arrays,
/// `collections.OrderedDict`, sets written by old protocols, and bytes written by protocols 0–2. Any other
/// global is refused with an error naming it. Persistent ids (PyTorch storages) go to `persistentLoad`.
/// Declared lengths are checked against the data before anything is allocated.
public struct PickleReader {
    /// Resolves a persistent id; `nil` refuses persistent ids.
    public typealias PersistentLoad = (PickleValue) throws -> PickleValue
    /// Rebuilds `callable(arguments)` for globals this reader does not know (for example PyTorch's tensor
    /// records); return `nil` to refuse the global.
    public typealias Reducer = (_ global: String, _ arguments: PickleValue) throws -> PickleValue?

    let data: [UInt8]
    let path: String
    var persistentLoad: PersistentLoad?
    var reducer: Reducer?

    public init(data: Data, path: String = "<memory>", persistentLoad: PersistentLoad? = nil, reducer: Reducer? = nil) {
        self.data = [UInt8](data)
        (self.path, self.persistentLoad, self.reducer) = (path, persistentLoad, reducer)
    }

    /// Reads a pickle file.
    public static func read(_ url: URL) throws -> PickleValue {
        try PickleReader(data: readFileBytes(url), path: url.path).decode()
    }

    /// Decodes the first pickle in the data.
    public func decode() throws -> PickleValue {
        var position = 0
        return try decode(from: &position)
    }

    /// Decodes one pickle starting at `position`, leaving `position` after its STOP (files such as
    /// PyTorch's legacy checkpoints hold several pickles in a row).
    public func decode(from position: inout Int) throws -> PickleValue {
        var machine = PickleMachine(reader: self, position: position)
        let result = try machine.run()
        position = machine.position
        return result
    }

    func failure(_ reason: String, at offset: Int) -> FormatError {
        .file(path: path, reason: "pickle: \(reason) (byte \(offset))")
    }
}

/// The pickle virtual machine. Containers live in reference boxes while decoding, because pickles mutate
/// them after they have been memoised; they become values at STOP.
struct PickleMachine {
    final class Node {
        enum Kind {
            case value(PickleValue)
            case list, tuple, dict, set
            case global(String)
            case dtype(code: String, bigEndian: Bool)
            case pendingArray(dtype: Node?, shape: [Int])
            case array(PickleValue)
        }
        var kind: Kind
        var items: [Node] = []
        var pairs: [(Node, Node)] = []
        /// How many values converting this node builds (itself and, recursively, its contents), once counted.
        var expandedSize: Int?
        /// A container's value from the conversion numbered `conversion`; a container shared many times is
        /// converted once per conversion and its value shared (arrays are copy-on-write), not rebuilt.
        var converted: PickleValue?
        var conversion = 0
        init(_ kind: Kind) { self.kind = kind }
    }

    /// Owns every node of one decoding. Nodes reference each other (deeply: 40 000 nested lists take 80 kB;
    /// cyclically: a list appended to itself through the memo), so letting Swift release them one by one
    /// would recurse once per level and overflow the stack, or leak the cycles. The arena releases them flat:
    /// it cuts every link first, then drops the nodes. It also counts the values built at STOP, which bounds
    /// the work of data that references the same memoised container many times (each level doubling).
    final class Arena {
        var nodes: [Node] = []
        var valuesBuilt = 0
        /// Numbers each conversion of nodes to values: nodes may change between two conversions (a list passed
        /// to a REDUCE, then appended to), never during one.
        var conversions = 0
        let valueBudget: Int
        init(dataSize: Int) { valueBudget = Swift.max(1 << 20, 2 * dataSize) }
        deinit {
            for node in nodes {
                node.items = []
                node.pairs = []
                node.kind = .value(.none)
                node.converted = nil
            }
        }
    }

    let reader: PickleReader
    let arena: Arena
    var position: Int
    var stack: [Node] = []
    var marks: [Int] = []
    var memo: [Int: Node] = [:]
    var data: [UInt8] { reader.data }

    init(reader: PickleReader, position: Int) {
        self.reader = reader
        self.position = position
        arena = Arena(dataSize: reader.data.count)
    }

    /// A new node, owned by the arena.
    func node(_ kind: Node.Kind) -> Node {
        let n = Node(kind)
        arena.nodes.append(n)
        return n
    }

    func fail(_ reason: String) -> FormatError { reader.failure(reason, at: position) }

    mutating func byte() throws -> UInt8 {
        guard position < data.count else { throw fail("truncated: the data ends before STOP") }
        defer { position += 1 }
        return data[position]
    }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= data.count - position else {
            throw fail("declared length \(count) runs past the end of the data (\(data.count - position) bytes left)")
        }
        defer { position += count }
        return data[position..<(position + count)]
    }

    mutating func unsigned(_ width: Int) throws -> Int {
        let b = try bytes(width)
        var v: UInt64 = 0
        for (k, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(k)) }
        guard v <= UInt64(Int.max) else { throw fail("length \(v) is too large") }
        return Int(v)
    }

    mutating func line() throws -> String {
        String(decoding: try lineBytes(), as: UTF8.self)
    }

    /// The raw bytes of a newline-terminated argument (without the newline and a trailing CR).
    mutating func lineBytes() throws -> ArraySlice<UInt8> {
        guard let end = data[position...].firstIndex(of: 0x0A) else { throw fail("truncated: unterminated text argument") }
        var bytes = data[position..<end]
        position = end + 1
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        return bytes
    }

    /// Pops an item; items below the innermost MARK belong to the enclosing frame and cannot be popped.
    mutating func pop() throws -> Node {
        guard stack.count > (marks.last ?? 0), let top = stack.popLast() else { throw fail("stack underflow") }
        return top
    }

    mutating func popToMark() throws -> [Node] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    func top() throws -> Node {
        guard stack.count > (marks.last ?? 0), let t = stack.last else { throw fail("stack underflow") }
        return t
    }

    mutating func push(_ value: PickleValue) { stack.append(node(.value(value))) }

    mutating func run() throws -> PickleValue {
        while true {
            let code = try byte()
            switch code {
            case 0x80: _ = try byte()                                  // PROTO
            case 0x95: _ = try unsigned(8)                             // FRAME
            case 0x2E:                                                 // STOP
                let result = try pop()
                try checkExpansion(result)
                return try convert(result)
            case 0x28: marks.append(stack.count)                       // MARK
            case 0x30: _ = try pop()                                   // POP
            case 0x31: _ = try popToMark()                             // POP_MARK
            case 0x32: stack.append(try top())                         // DUP
            case 0x4E: push(.none)                                     // NONE
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case 0x4A: push(.int(Int64(Int32(bitPattern: UInt32(try unsigned(4))))))  // BININT
            case 0x4B: push(.int(Int64(try byte())))                   // BININT1
            case 0x4D: push(.int(Int64(try unsigned(2))))              // BININT2
            case 0x49:                                                 // INT
                let text = try line()
                if text == "01" { push(.bool(true)) } else if text == "00" { push(.bool(false)) } else {
                    guard let v = Int64(text) else { throw fail("integer '\(text)' does not fit in 64 bits") }
                    push(.int(v))
                }
            case 0x4C:                                                 // LONG
                var text = try line()
                if text.hasSuffix("L") { text.removeLast() }
                guard let v = Int64(text) else { throw fail("integer \(text) does not fit in 64 bits") }
                push(.int(v))
            case 0x8A: push(.int(try long(try Int(byte()))))           // LONG1
            case 0x8B: push(.int(try long(try unsigned(4))))           // LONG4
            case 0x46:                                                 // FLOAT
                let text = try line()
                guard let v = Double(text) else { throw fail("float '\(text)' is not a number") }
                push(.float(v))
            case 0x47:                                                 // BINFLOAT (big-endian)
                var bits: UInt64 = 0
                for x in try bytes(8) { bits = bits << 8 | UInt64(x) }
                push(.float(Double(bitPattern: bits)))
            case 0x58: push(.string(try utf8(try unsigned(4))))        // BINUNICODE
            case 0x8C: push(.string(try utf8(try Int(byte()))))        // SHORT_BINUNICODE
            case 0x8D: push(.string(try utf8(try unsigned(8))))        // BINUNICODE8
            case 0x56: push(.string(try rawUnicodeEscape(try lineBytes()))) // UNICODE
            case 0x54: push(python2String(Array(try bytes(try unsigned(4)))))  // BINSTRING
            case 0x55: push(python2String(Array(try bytes(try Int(byte())))))  // SHORT_BINSTRING
            case 0x53: push(python2String(try quotedString(try line())))       // STRING
            case 0x42: push(.bytes(Array(try bytes(try unsigned(4)))))  // BINBYTES
            case 0x43: push(.bytes(Array(try bytes(try Int(byte())))))  // SHORT_BINBYTES
            case 0x8E, 0x96: push(.bytes(Array(try bytes(try unsigned(8)))))  // BINBYTES8, BYTEARRAY8
            case 0x5D: stack.append(node(.list))                       // EMPTY_LIST
            case 0x6C: let n = node(.list); n.items = try popToMark(); stack.append(n)   // LIST
            case 0x61: let item = try pop(); try container(.list).items.append(item)     // APPEND
            case 0x65: let items = try popToMark(); try container(.list).items += items  // APPENDS
            case 0x29: stack.append(node(.tuple))                      // EMPTY_TUPLE
            case 0x74: let n = node(.tuple); n.items = try popToMark(); stack.append(n)  // TUPLE
            case 0x85, 0x86, 0x87:                                     // TUPLE1-3
                let count = Int(code) - 0x84
                guard stack.count >= count else { throw fail("stack underflow") }
                var items: [Node] = []
                for _ in 0..<count { items.insert(try pop(), at: 0) }
                let n = node(.tuple)
                n.items = items
                stack.append(n)
            case 0x7D: stack.append(node(.dict))                       // EMPTY_DICT
            case 0x64:                                                 // DICT
                let n = node(.dict)
                n.pairs = try pairs(try popToMark())
                stack.append(n)
            case 0x73:                                                 // SETITEM
                let v = try pop(), k = try pop()
                try container(.dict).pairs.append((k, v))
            case 0x75:                                                 // SETITEMS
                let items = try pairs(try popToMark())
                try container(.dict).pairs += items
            case 0x8F: stack.append(node(.set))                        // EMPTY_SET
            case 0x90: let items = try popToMark(); try container(.set).items += items   // ADDITEMS
            case 0x91: let n = node(.set); n.items = try popToMark(); stack.append(n)    // FROZENSET
            case 0x70: memo[try index(try line())] = try top()         // PUT
            case 0x71: memo[Int(try byte())] = try top()               // BINPUT
            case 0x72: memo[try unsigned(4)] = try top()               // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()                    // MEMOIZE
            case 0x67: stack.append(try memoized(try index(try line())))  // GET
            case 0x68: stack.append(try memoized(Int(try byte())))     // BINGET
            case 0x6A: stack.append(try memoized(try unsigned(4)))     // LONG_BINGET
            case 0x63:                                                 // GLOBAL
                let module = try line(), name = try line()
                stack.append(node(.global("\(module).\(name)")))
            case 0x93:                                                 // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .value(.string(let n)) = name.kind, case .value(.string(let m)) = module.kind else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                stack.append(node(.global("\(m).\(n)")))
            case 0x52:                                                 // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x81:                                                 // NEWOBJ
                let arguments = try pop(), cls = try pop()
                stack.append(try reduce(cls, arguments))
            case 0x62:                                                 // BUILD
                let state = try pop()
                try build(try top(), state)
            case 0x50:                                                 // PERSID
                push(try persistent(.string(try line())))
            case 0x51:                                                 // BINPERSID
                let pid = try pop()
                push(try persistent(try convert(pid)))
            case 0x97, 0x98: throw fail("out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported")
            default:
                throw fail(String(format: "unsupported or invalid opcode 0x%02X", code))
            }
        }
    }

    mutating func long(_ count: Int) throws -> Int64 {
        let b = try bytes(count)
        guard count <= 8 else {
            // Allow redundant sign bytes beyond 64 bits, nothing else.
            let extra = b.suffix(count - 8), sign: UInt8 = (b[b.startIndex + 7] & 0x80) != 0 ? 0xFF : 0
            guard extra.allSatisfy({ $0 == sign }) else { throw fail("integer of \(count) bytes does not fit in 64 bits") }
            return try long8(Array(b.prefix(8)))
        }
        if count == 0 { return 0 }
        var v: UInt64 = 0
        for (k, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(k)) }
        if count < 8 && (b.last! & 0x80) != 0 { v |= ~UInt64(0) << (8 * UInt64(count)) }
        return Int64(bitPattern: v)
    }

    func long8(_ b: [UInt8]) throws -> Int64 {
        var v: UInt64 = 0
        for (k, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(k)) }
        return Int64(bitPattern: v)
    }

    mutating func utf8(_ count: Int) throws -> String {
        let b = try bytes(count)
        guard let s = String(validating: b, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
    }

    func index(_ text: String) throws -> Int {
        guard let i = Int(text), i >= 0 else { throw fail("invalid memo index '\(text)'") }
        return i
    }

    func memoized(_ i: Int) throws -> Node {
        guard let n = memo[i] else { throw fail("memo index \(i) was never stored") }
        return n
    }

    func container(_ expected: Node.Kind) throws -> Node {
        let t = try top()
        switch (t.kind, expected) {
        case (.list, .list), (.dict, .dict), (.set, .set): return t
        default: throw fail("item added to something that is not a \(expected)")
        }
    }

    func pairs(_ nodes: [Node]) throws -> [(Node, Node)] {
        guard nodes.count % 2 == 0 else { throw fail("odd number of items for a dict") }
        return stride(from: 0, to: nodes.count, by: 2).map { (nodes[$0], nodes[$0 + 1]) }
    }

    /// Python 2 `str`: text when it is valid UTF-8, bytes otherwise.
    func python2String(_ b: [UInt8]) -> PickleValue {
        String(validating: b, as: UTF8.self).map { .string($0) } ?? .bytes(b)
    }

    func quotedString(_ text: String) throws -> [UInt8] {
        guard text.count >= 2, let q = text.first, q == "'" || q == "\"", text.last == q else {
            throw fail("STRING argument \(text) is not quoted")
        }
        return try unescape(String(text.dropFirst().dropLast()))
    }

    /// Python's raw-unicode-escape: bytes are code points U+0000–U+00FF, except `\\uXXXX` and `\\UXXXXXXXX`.
    func rawUnicodeEscape(_ bytes: ArraySlice<UInt8>) throws -> String {
        var scalars = String.UnicodeScalarView()
        var rest = bytes
        while let b = rest.popFirst() {
            if b == UInt8(ascii: "\\"), let kind = rest.first, kind == UInt8(ascii: "u") || kind == UInt8(ascii: "U") {
                let width = kind == UInt8(ascii: "u") ? 4 : 8
                let digits = rest.dropFirst().prefix(width)
                guard digits.count == width, let v = UInt32(String(decoding: digits, as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(v) else { throw fail("invalid \\u escape in a UNICODE argument") }
                scalars.append(scalar)
                rest = rest.dropFirst(width + 1)
            } else {
                scalars.append(Unicode.Scalar(b))
            }
        }
        return String(scalars)
    }

    /// Python 2 `str` escapes in a STRING argument: `\\xNN`, `\\n`, `\\r`, `\\t`, `\\\\`, quotes.
    func unescape(_ text: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            guard c == "\\", let next = chars.popFirst() else {
                out.append(UInt8(truncatingIfNeeded: c.value))
                continue
            }
            switch next {
            case "x":
                let digits = String(String.UnicodeScalarView(chars.prefix(2)))
                guard digits.count == 2, let v = UInt8(digits, radix: 16) else { throw fail("invalid \\x escape in \(text)") }
                out.append(v)
                chars = chars.dropFirst(2)
            case "n": out.append(0x0A)
            case "r": out.append(0x0D)
            case "t": out.append(0x09)
            case "\\", "'", "\"": out.append(UInt8(next.value))
            default: out += [UInt8(ascii: "\\"), UInt8(truncatingIfNeeded: next.value)]
            }
        }
        return out
    }

    mutating func persistent(_ pid: PickleValue) throws -> PickleValue {
        guard let load = reader.persistentLoad else { throw fail("persistent ids are not supported in this file") }
        return try load(pid)
    }

    static let numpyReconstruct: Set<String> = ["numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"]
    static let numpyScalar: Set<String> = ["numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar"]

    /// `callable(*arguments)` for the globals this reader knows; others go to the reader's `reducer`.
    mutating func reduce(_ callable: Node, _ arguments: Node) throws -> Node {
        guard case .global(let name) = callable.kind else { throw fail("REDUCE of something that is not a global") }
        let args = arguments.items
        switch name {
        case _ where Self.numpyReconstruct.contains(name):
            return node(.pendingArray(dtype: nil, shape: []))
        case "numpy.ndarray":
            return node(.pendingArray(dtype: nil, shape: []))
        case "numpy.dtype":
            guard let first = args.first, case .value(.string(let code)) = first.kind else { throw fail("numpy.dtype needs a type code") }
            return node(.dtype(code: code, bigEndian: false))
        case _ where Self.numpyScalar.contains(name):
            guard args.count == 2, case .dtype(let code, let big) = args[0].kind else { throw fail("numpy scalar needs (dtype, bytes)") }
            let raw: [UInt8]
            switch args[1].kind {
            case .value(.bytes(let b)): raw = b
            case .value(.string(let s)): raw = Array(s.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
            default: throw fail("numpy scalar data is not bytes")
            }
            let array = try typedArray(code: code, bigEndian: big, shape: [], raw: raw[...])
            let values = array.doubleValues()
            guard let v = values.first else { throw fail("empty numpy scalar") }
            switch array.scalarType {
            case .bool: return node(.value(.bool(v != 0)))
            case .float16, .bfloat16, .float32, .float64: return node(.value(.float(v)))
            default: return node(.value(.int(Int64((try? array.integerValues().first) ?? 0))))
            }
        case "collections.OrderedDict", "builtins.dict", "__builtin__.dict":
            let n = node(.dict)
            if let items = args.first?.items {
                n.pairs = try items.map { pair in
                    guard pair.items.count == 2 else { throw fail("OrderedDict item is not a pair") }
                    return (pair.items[0], pair.items[1])
                }
            }
            return n
        case "builtins.set", "__builtin__.set", "builtins.frozenset", "__builtin__.frozenset":
            let n = node(.set)
            n.items = args.first?.items ?? []
            return n
        case "builtins.list", "__builtin__.list":
            let n = node(.list)
            n.items = args.first?.items ?? []
            return n
        case "_codecs.encode":
            guard let first = args.first, case .value(.string(let text)) = first.kind else { throw fail("_codecs.encode needs a string") }
            // Protocols 0–2 write bytes as their latin-1 text.
            return node(.value(.bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })))
        default:
            if let reducer = reader.reducer, let result = try reducer(name, try convert(arguments)) {
                return node(.value(result))
            }
            throw fail("refusing to call '\(name)': only NumPy arrays, OrderedDict, sets and bytes are rebuilt")
        }
    }

    /// `__setstate__`: NumPy arrays and dtypes take their state; other objects' attributes are ignored.
    mutating func build(_ object: Node, _ state: Node) throws {
        switch object.kind {
        case .dtype(let code, _):
            // (version, byte order, ...)
            if state.items.count > 1, case .value(.string(let order)) = state.items[1].kind {
                object.kind = .dtype(code: code, bigEndian: order == ">")
            }
        case .pendingArray:
            // (version, shape, dtype, is_fortran, data)
            let s = state.items
            guard s.count == 5, case .dtype(let code, let big) = s[2].kind else { throw fail("unexpected NumPy array state") }
            let shape = try s[1].items.map { item -> Int in
                guard case .value(.int(let d)) = item.kind, d >= 0, d <= Int64(Int32.max) else { throw fail("invalid NumPy shape") }
                return Int(d)
            }
            guard case .value(.bool(let fortran)) = s[3].kind else { throw fail("invalid NumPy order flag") }
            let count = try checkedCount(shape)
            if code.hasPrefix("O") {
                guard case .list = s[4].kind, s[4].items.count == count else { throw fail("object array data does not match shape \(shape)") }
                arena.conversions += 1
                var elements = try s[4].items.map { try value($0, depth: 1) }
                if fortran { elements = reorderFortran(elements, shape: shape) }
                object.kind = .array(.objectArray(shape: shape, elements: elements))
            } else {
                let raw: ArraySlice<UInt8>
                switch s[4].kind {
                case .value(.bytes(let b)): raw = b[...]
                case .value(.string(let t)): raw = Array(t.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })[...]
                default: throw fail("NumPy array data is not bytes")
                }
                var array = try typedArray(code: code, bigEndian: big, shape: shape, raw: raw)
                if fortran { array = try fortranToC(array) }
                object.kind = .array(.array(array))
            }
        case .dict, .list, .set:
            break  // e.g. the `_metadata` attribute PyTorch sets on state dicts
        default:
            throw fail("BUILD on an object this reader does not rebuild")
        }
    }

    func checkedCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= data.count * 8 + 1 else { throw fail("array shape \(shape) is larger than the file could hold") }
            n = p
        }
        return n
    }

    func typedArray(code: String, bigEndian: Bool, shape: [Int], raw: ArraySlice<UInt8>) throws -> TypedArray {
        let types: [String: ScalarType] = [
            "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
            "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool,
        ]
        guard let type = types[code] else { throw fail("unsupported NumPy dtype '\(code)'") }
        var bytes = Data(raw)
        guard bytes.count == (try checkedCount(shape)) * type.byteCount else {
            throw fail("NumPy \(code) array of shape \(shape) has \(bytes.count) data bytes")
        }
        if bigEndian && type.byteCount > 1 {
            bytes.withUnsafeMutableBytes { p in
                for start in stride(from: 0, to: p.count, by: type.byteCount) {
                    var lo = start, hi = start + type.byteCount - 1
                    while lo < hi { p.swapAt(lo, hi); lo += 1; hi -= 1 }
                }
            }
        }
        return try TypedArray(scalarType: type, shape: shape, bytes: bytes)
    }

    func fortranToC(_ a: TypedArray) throws -> TypedArray {
        let width = a.scalarType.byteCount
        let elements = a.bytes.withUnsafeBytes { raw in (0..<a.count).map { Array(raw[($0 * width)..<(($0 + 1) * width)]) } }
        return try TypedArray(scalarType: a.scalarType, shape: a.shape, bytes: Data(reorderFortran(elements, shape: a.shape).flatMap { $0 }))
    }

    /// Column-major elements in row-major order.
    func reorderFortran<T>(_ elements: [T], shape: [Int]) -> [T] {
        guard shape.count > 1, !elements.isEmpty else { return elements }
        var fStrides = [Int](repeating: 1, count: shape.count)
        for d in 1..<shape.count { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        var out: [T] = []
        out.reserveCapacity(elements.count)
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<elements.count {
            out.append(elements[zip(index, fStrides).reduce(0) { $0 + $1.0 * $1.1 }])
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Refuses the data before anything is built when converting `root` would build more values than the budget.
    /// Each node is counted once and its count remembered, so data that shares one container 2⁴⁰ times (DUP and
    /// TUPLE2 over and over, or the memo) is refused after visiting its few hundred nodes, instead of after building
    /// a budget's worth of values.
    func checkExpansion(_ root: Node) throws {
        let budget = arena.valueBudget
        func size(_ node: Node, depth: Int) throws -> Int {
            guard depth < 1000 else { throw fail("data nested more than 1000 levels deep (or cyclic)") }
            if let known = node.expandedSize { return known }
            var total = 1
            switch node.kind {
            case .list, .tuple, .set:
                for child in node.items where total <= budget { total += try size(child, depth: depth + 1) }
            case .dict:
                for (key, value) in node.pairs where total <= budget {
                    total += try size(key, depth: depth + 1)
                    total += try size(value, depth: depth + 1)
                }
            default: break
            }
            total = Swift.min(total, budget + 1)
            node.expandedSize = total
            return total
        }
        guard try size(root, depth: 0) <= budget else {
            throw fail("the data expands to more than \(budget) values (a container referenced over and over)")
        }
    }

    /// The value of `node` as it is now: one conversion (see `Arena.conversions`).
    func convert(_ node: Node) throws -> PickleValue {
        arena.conversions += 1
        return try value(node, depth: 0)
    }

    /// The value of a node; containers are converted recursively (bounded, so cyclic or absurdly deep
    /// data is an error, not a crash), each container once per conversion however often it is referenced.
    func value(_ node: Node, depth: Int) throws -> PickleValue {
        guard depth < 1000 else { throw fail("data nested more than 1000 levels deep (or cyclic)") }
        if node.conversion == arena.conversions, let known = node.converted { return known }
        arena.valuesBuilt += 1
        guard arena.valuesBuilt <= arena.valueBudget else {
            throw fail("the data expands to more than \(arena.valueBudget) values (a container referenced over and over)")
        }
        let result: PickleValue
        switch node.kind {
        case .value(let v): return v
        case .array(let v): return v
        case .global(let name): return .global(name)
        case .dtype(let code, _): return .string(code)
        case .pendingArray: throw fail("NumPy array without state")
        case .list: result = .list(try node.items.map { try value($0, depth: depth + 1) })
        case .tuple: result = .tuple(try node.items.map { try value($0, depth: depth + 1) })
        case .set: result = .set(try node.items.map { try value($0, depth: depth + 1) })
        case .dict:
            result = .dict(try node.pairs.map { PickleEntry(key: try value($0.0, depth: depth + 1), value: try value($0.1, depth: depth + 1)) })
        }
        node.converted = result
        node.conversion = arena.conversions
        return result
    }
}
