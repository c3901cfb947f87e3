import ArgumentParser
import Foundation
import MessageBus

extension MessageBusCommand {
    /// Runs the command line like `AsyncParsableCommand.main()`, except that a failure prints one line,
    /// `messagebus: error: ...`, naming the bad input, rather than a message followed by the usage text; `--help`
    /// and `--version` still print in full and exit 0.
    static func main() async {
        do {
            var command = try Self.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let exitCode = Self.exitCode(for: error)
            if exitCode == .success || error is CleanExit {
                Self.exit(withError: error)
            }
            if let line = CommandLineError.line(for: error, fallback: Self.message(for: error)) {
                FileHandle.standardError.write(Data("messagebus: error: \(line)\n".utf8))
            }
            Foundation.exit(exitCode.rawValue)
        }
    }
}

/// Turns any error a command can end with into the one line the tool prints.
enum CommandLineError {
    /// The error's one-line text, or `nil` when the command already said why it failed (it threw `ExitCode`).
    ///
    /// - Parameters:
    ///   - error: What the command threw.
    ///   - fallback: ArgumentParser's own message for the error (usage errors, validation errors).
    static func line(for error: any Error, fallback: String) -> String? {
        if error is ExitCode { return nil }
        let text: String
        if let busError = error as? MessageBusError {
            text = "\(busError.message) (\(busError.code))"
        } else {
            text = fallback.isEmpty ? String(describing: error) : fallback
        }
        let oneLine = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        return oneLine.isEmpty ? "\(type(of: error))" : oneLine
    }
}
