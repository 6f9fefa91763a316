import ArgumentParser
import CTensorSupport
import Foundation

@main
struct S2IGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s2igan",
        abstract: "Speech-to-image generation (S2IGAN) in Swift.",
        subcommands: [DemoCommand.self, SayCommand.self, Bench.self, Convert.self, Features.self, DatasetCommand.self, SENCommand.self, GANCommand.self, EvalCommand.self]
    )

    /// Usage errors exit with code 2 (ArgumentParser's message); any other error prints one line on
    /// stderr and exits with code 1.
    static func main() {
        // One line at a time, also into a pipe or file, so long jobs show their progress as it happens.
        s2_line_buffer_stdout()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as CleanExit {
            exit(withError: error)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch {
            // ArgumentParser's own outcomes (help, usage errors) keep its output and exit codes.
            guard exitCode(for: error) == .failure else { exit(withError: error) }
            FileHandle.standardError.write(Data("s2igan: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
