import Foundation
import TestSupport
import Testing
@testable import S2IGANTensor
@testable import S2IGANFormats

@Suite struct PickleTests {
    /// Hand-assembled protocol-2 bytes: {'a': [1, 'x', 2.5, None, True], 'b': (-300, 2**40)} with memoised reuse.
    @Test func decodesHandAssembledOpcodes() throws {
        var bytes: [UInt8] = [0x80, 2, 0x7D, 0x71, 0]                   // PROTO 2, EMPTY_DICT, BINPUT 0
        bytes += [0x28]                                                   // MARK
        bytes += [0x8C, 1, 0x61]                                          // 'a'
        bytes += [0x5D, 0x71, 1, 0x28, 0x4B, 1, 0x8C, 1, 0x78]           // [  (1, 'x'
        bytes += [0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0, 0x4E, 0x88, 0x65]  // 2.5, None, True APPENDS
        bytes += [0x8C, 1, 0x62, 0x4A] + [0xD4, 0xFE, 0xFF, 0xFF]         // 'b' -300
        bytes += [0x8A, 6, 0, 0, 0, 0, 0, 1, 0x86]                       // LONG1 2**40, TUPLE2
        bytes += [0x75, 0x2E]                                             // SETITEMS, STOP
        let value = try PickleReader(data: Data(bytes)).decode()
        #expect(value["a"] == .list([.int(1), .string("x"), .float(2.5), .none, .bool(true)]))
        #expect(value["b"] == .tuple([.int(-300), .int(1 << 40)]))
    }

    @Test func writerRoundTripsWhatTheReferenceReads() throws {
        var rng = RandomGenerator(seed: 3)
        let embeddings = try (0..<3).map { _ in try Tensor.normal([2, 4], using: &rng) }
        let values: [PickleValue] = [
            .list([.string("001.Black_footed_Albatross/Black_Footed_Albatross_0046_18"), .string("héllo")]),
            .list([.int(1), .int(-7), .int(1 << 40), .int(Int64.min)]),
            .arrayList(embeddings),
            .dict([PickleEntry(key: .string("k"), value: .tuple([.float(-0.5), .none, .bool(false), .bytes([0, 255])]))]),
            .list((0..<2500).map { .int(Int64($0)) }),
        ]
        for value in values {
            #expect(try PickleReader(data: PickleWriter.encode(value)).decode() == value)
        }
        let back = try PickleReader(data: PickleWriter.encode(.arrayList(embeddings))).decode().tensors()
        #expect(zip(back, embeddings).allSatisfy { $0.isIdentical(to: $1) })
        #expect(throws: FormatError.self) { try PickleWriter.encode(.set([.int(1)])) }
    }

    @Test func refusesAndFailsClearly() throws {
        func reason(_ bytes: [UInt8]) -> String {
            do { _ = try PickleReader(data: Data(bytes), path: "x.pickle").decode(); return "no error" } catch { return "\(error)" }
        }
        // os.system: never called.
        #expect(reason([0x80, 2] + Array("cos\nsystem\n".utf8) + [0x8C, 2, 0x6C, 0x73, 0x85, 0x52, 0x2E]).contains("refusing to call 'os.system'"))
        #expect(reason([0x80, 2, 0x5D]).contains("truncated"))
        #expect(reason([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]).contains("runs past the end"))
        #expect(reason([0x80, 2, 0x68, 9, 0x2E]).contains("memo index 9 was never stored"))
        #expect(reason([0x80, 2, 0xFE]).contains("opcode 0xFE"))
        #expect(reason([0x80, 2, 0x61, 0x2E]).contains("stack underflow"))
        #expect(reason([0x80, 2, 0x8A, 9] + [UInt8](repeating: 1, count: 9) + [0x2E]).contains("does not fit in 64 bits"))
        #expect(reason([0x80, 2, 0x8B, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E]).contains("runs past the end"))
        // A list that contains itself cannot be turned into a value.
        #expect(reason([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]).contains("cyclic"))
    }
}

/// Hostile shapes of data: each must be an error (or a value), never a crash or an unbounded amount of work.
@Suite struct HostilePickleTests {
    func reason(_ bytes: [UInt8]) -> String {
        do { _ = try PickleReader(data: Data(bytes), path: "x.pickle").decode(); return "no error" } catch { return "\(error)" }
    }

    /// 40 000 nested lists: refused as too deep, and tearing the nodes down does not overflow the stack
    /// (it used to crash with SIGSEGV after the error had been thrown).
    @Test func deeplyNestedListsAreRefusedWithoutCrashing() {
        let depth = 40_000
        let nested: [UInt8] = [0x80, 2] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1)
        #expect(reason(nested + [0x2E]).contains("nested more than 1000 levels"))
        // The same chain popped off the stack and dropped mid-decoding, then a valid result.
        #expect(throws: Never.self) { try PickleReader(data: Data(nested + [0x30, 0x4E, 0x2E])).decode() }
        #expect((try? PickleReader(data: Data(nested + [0x30, 0x4E, 0x2E])).decode()) == PickleValue.none)
    }

    /// A list holding the previous list twice, 60 times over: 2⁶⁰ values from 400 bytes. Refused by the
    /// value budget instead of running forever.
    @Test func exponentialSharingIsRefused() {
        var bytes: [UInt8] = [0x80, 2, 0x5D, 0x71, 0]                    // [] memo 0
        for k in 0..<60 {
            bytes += [0x28, 0x68, UInt8(k), 0x68, UInt8(k), 0x6C, 0x71, UInt8(k + 1)]  // [m_k, m_k] memo k+1
        }
        #expect(reason(bytes + [0x2E]).contains("expands to more than"))
        // A few levels of sharing are data, not an attack: 2⁵ leaves.
        var small: [UInt8] = [0x80, 2, 0x4B, 7, 0x71, 0]
        for k in 0..<5 { small += [0x28, 0x68, UInt8(k), 0x68, UInt8(k), 0x6C, 0x71, UInt8(k + 1)] }
        let value = try? PickleReader(data: Data(small + [0x2E])).decode()
        func leaves(_ v: PickleValue) -> Int { v.items.map { $0.reduce(0) { $0 + leaves($1) } } ?? 1 }
        #expect(value.map(leaves) == 32)
    }

    /// DUP then TUPLE2, 60 times: (x, x) of (x, x) … — 2⁶¹ values from 120 bytes without the memo. The expansion
    /// is counted over the few distinct nodes before any value is built (found by the pickle fuzzer, where building
    /// a budget's worth of values first took over 10 s under the sanitizers).
    @Test func sharingThroughTheStackIsRefusedBeforeBuilding() throws {
        let bytes: [UInt8] = [0x80, 2, 0x5D] + [UInt8](repeating: 0, count: 60).flatMap { _ in [0x32, 0x86] } + [0x2E]
        var machine = PickleMachine(reader: PickleReader(data: Data(bytes), path: "x.pickle"), position: 0)
        let error = try #require(throws: FormatError.self) { try machine.run() }
        #expect("\(error)".contains("expands to more than 1048576 values"), "\(error)")
        #expect(machine.arena.valuesBuilt == 0)
        // The fuzzer's own input: DUP, TUPLE2, TUPLE3 and MEMOIZE mixed.
        let found = try Data(contentsOf: fixtures.url("../../Fuzz/regressions/pickle/timeout-dup-tuple-doubling.pickle"))
        var replay = PickleMachine(reader: PickleReader(data: found, path: "found.pickle"), position: 0)
        #expect(throws: FormatError.self) { try replay.run() }
        #expect(replay.arena.valuesBuilt == 0)
    }

    /// Sharing under the budget: 19 doublings expand to 2¹⁹ empty lists, but each container is converted once
    /// and shared, so 20 values are built (the fuzzer's second timeout built all 2¹⁹, seconds under ASan).
    @Test func sharedContainersAreConvertedOnce() throws {
        let bytes: [UInt8] = [0x80, 2, 0x5D] + [UInt8](repeating: 0, count: 19).flatMap { _ in [0x32, 0x86] } + [0x2E]
        var machine = PickleMachine(reader: PickleReader(data: Data(bytes), path: "x.pickle"), position: 0)
        var value = try machine.run()
        #expect(machine.arena.valuesBuilt == 20)
        var depth = 0
        while case .tuple(let pair) = value {
            #expect(pair.count == 2 && pair[0] == pair[1])
            value = pair[0]
            depth += 1
        }
        #expect(depth == 19 && value == .list([]))
        let found = try Data(contentsOf: fixtures.url("../../Fuzz/regressions/pickle/timeout-dup-tuple-under-budget.pickle"))
        var replay = PickleMachine(reader: PickleReader(data: found, path: "found.pickle"), position: 0)
        _ = try replay.run()
        #expect(replay.arena.valuesBuilt < 100, "\(replay.arena.valuesBuilt)")
    }

    /// A list converted for a REDUCE and appended to afterwards: the value at STOP has the later item (a
    /// container's value is reused only within one conversion).
    @Test func aContainerChangedAfterAReduceIsConvertedAgain() throws {
        // EMPTY_LIST, BINPUT 0; GLOBAL builtins.record, BINGET 0, TUPLE1, REDUCE, POP; BINGET 0, BININT1 7, APPEND; STOP.
        var seen: [PickleValue] = []
        let reader = PickleReader(
            data: Data([0x80, 2, 0x5D, 0x71, 0, 0x63] + Array("builtins\nrecord\n".utf8)
                + [0x68, 0, 0x85, 0x52, 0x30, 0x68, 0, 0x4B, 7, 0x61, 0x2E]),
            path: "x.pickle", reducer: { name, arguments in
                seen.append(arguments)
                return name == "builtins.record" ? PickleValue.none : nil
            })
        let value = try reader.decode()
        #expect(seen == [.tuple([.list([])])])
        #expect(value == .list([.int(7)]))
    }
}
