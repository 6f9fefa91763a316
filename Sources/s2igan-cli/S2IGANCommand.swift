import ArgumentParser
import CTensorSupport
import Foundation
import S2IGANTensor
import S2IGANFormats

@main
struct S2IGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s2igan",
        abstract: "Speech-to-image generation (S2IGAN) in Swift.",
        subcommands: [DemoCommand.self, SayCommand.self, Bench.self, Convert.self, Features.self, DatasetCommand.self, SENCommand.self, GANCommand.self, EvalCommand.self, DistributedCommand.self, ServeCommand.self]
    )

    /// Usage errors exit with code 64 (ArgumentParser's message, with the usage of the command that was run);
    /// any other error prints one line on stderr — the file or option and what is wrong — and exits with code 1.
    static func main() {
        // One line at a time, also into a pipe or file, so long jobs show their progress as it happens.
        s2_line_buffer_stdout()
        // A budget variable that is set but unreadable would otherwise be ignored without a word.
        if let problem = ResourceLimits.environmentProblems().first {
            FileHandle.standardError.write(Data("s2igan: \(problem)\n".utf8))
            Foundation.exit(1)
        }
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
        } catch let error as ValidationError {
            // Thrown by a subcommand's run(): its own usage, not the root's.
            FileHandle.standardError.write(Data(usageError(error.message, command: type(of: command)).utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            // ArgumentParser's own outcomes (help, usage errors) keep its output and exit codes.
            guard exitCode(for: error) == .failure else { exit(withError: error) }
            FileHandle.standardError.write(Data("s2igan: \(readableDescription(of: error))\n".utf8))
            Foundation.exit(1)
        }
    }

    /// ArgumentParser's layout of a usage error, for `command`: the message, its usage and where its help is.
    static func usageError(_ message: String, command: ParsableCommand.Type) -> String {
        var usage = usageString(for: command)
        if !usage.hasPrefix("Usage:") { usage = "Usage: " + usage }
        let name = commandPath(to: command).joined(separator: " ")
        return "Error: \(message)\n\(usage)\n  See '\(name) --help' for more information.\n"
    }

    /// The command names from the root to `command`, e.g. ["s2igan", "dataset", "splits"].
    static func commandPath(to command: ParsableCommand.Type, from root: ParsableCommand.Type = S2IGANCommand.self) -> [String] {
        if root == command { return [root._commandName] }
        for child in root.configuration.subcommands {
            let path = commandPath(to: command, from: child)
            if !path.isEmpty { return [root._commandName] + path }
        }
        return []
    }
}
