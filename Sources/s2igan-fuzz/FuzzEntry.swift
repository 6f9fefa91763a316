import FuzzTargets
import Foundation

// Two builds of one executable. Compiled with `-D S2IGAN_FUZZ` (and `-sanitize=fuzzer,address`, see
// scripts/fuzz.sh) it is a libFuzzer binary fuzzing the target named by `S2IGAN_FUZZ_TARGET`. In a normal build
// it replays files through a target: `s2igan-fuzz TARGET FILE_OR_FOLDER...`, which is how crashes are reproduced
// without the sanitizers.
//
// SwiftPM links an executable with its entry point renamed (`--defsym main=s2igan_fuzz_main`), so the fuzz build
// cannot leave `main` to libFuzzer: it defines `s2igan_fuzz_main` and hands over to `LLVMFuzzerRunDriver`.

#if S2IGAN_FUZZ

nonisolated(unsafe) private var selectedTarget: FuzzTarget?

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("s2igan_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let name = ProcessInfo.processInfo.environment["S2IGAN_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else {
        let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("s2igan-fuzz: set S2IGAN_FUZZ_TARGET to one of: \(names)\n".utf8))
        return 2
    }
    selectedTarget = target
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? selectedTarget?.run(bytes)
    return 0
}

#else

@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, name != "--help", name != "-h" else {
            usage()
            exit(arguments.isEmpty ? 2 : 0)
        }
        guard let target = FuzzTargets.named(name) else {
            printError("s2igan-fuzz: unknown target '\(name)'")
            usage()
            exit(2)
        }
        var files: [URL] = []
        for argument in arguments.dropFirst() {
            let url = URL(fileURLWithPath: argument)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                printError("s2igan-fuzz: no such file '\(argument)'")
                exit(2)
            }
            if isFolder.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                files += names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
            } else {
                files.append(url)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                printError("s2igan-fuzz: cannot read '\(file.path)'")
                exit(2)
            }
            do {
                try target.run([UInt8](data))
                print("\(file.path): ok")
            } catch {
                print("\(file.path): error: \(error)")
            }
        }
    }

    static func printError(_ text: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((text + terminator).utf8))
    }

    static func usage() {
        var text = "usage: s2igan-fuzz TARGET FILE_OR_FOLDER...\n  runs each file through a fuzz target; targets:\n"
        for target in FuzzTargets.all { text += "  \(target.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(target.summary)\n" }
        printError(text, terminator: "")
    }
}

#endif
