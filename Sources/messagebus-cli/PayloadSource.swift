import ArgumentParser
import Foundation
import MessageBus

/// Where `publish` reads its payloads: its text arguments, a file, or standard input, byte for byte.
enum PayloadSource: Sendable {
    /// One message per text argument, as UTF-8.
    case texts([String])
    /// The bytes of a file; `-` is standard input.
    case file(String)
    /// The bytes of standard input.
    case standardInput

    /// The payloads: one per text, or the whole input as one payload (one per line when `splitLines`).
    ///
    /// Files and standard input are read on a thread of their own, never on the cooperative pool.
    ///
    /// - Throws: `ValidationError` naming a file that cannot be read, or standard input that is a terminal.
    func read(splitLines: Bool) async throws -> [[UInt8]] {
        let bytes: [UInt8]
        switch self {
        case .texts(let texts):
            return texts.map { Array($0.utf8) }
        case .file(let path) where path != "-":
            bytes = try await DedicatedThread.run("mb-cli-read") {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    throw ValidationError("cannot read --file '\(path)': no such file, or not readable")
                }
                defer { try? handle.close() }
                return Array(try handle.readToEnd() ?? Data())
            }
        case .file, .standardInput:
            guard isatty(STDIN_FILENO) == 0 else {
                throw ValidationError(
                    "no payload: give the text as arguments, --file PATH, or pipe the bytes to standard input")
            }
            bytes = try await DedicatedThread.run("mb-cli-read") {
                Array(try FileHandle.standardInput.readToEnd() ?? Data())
            }
        }
        guard splitLines else { return [bytes] }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
