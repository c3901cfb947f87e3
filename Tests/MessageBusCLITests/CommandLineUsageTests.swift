import Testing

/// The tool's help and its answers to bad input: no broker needed.
@Suite("messagebus: help and bad input", .timeLimit(.minutes(2)))
struct CommandLineUsageTests {
    @Test("every command's --help shows examples", arguments: ["publish", "consume", "check", "declare", "delete", "stats"])
    func helpHasExamples(command: String) async throws {
        let result = try await CommandLineTool.run([command, "--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.text.contains("Examples:"), "\(result)")
        #expect(result.text.contains("messagebus \(command) "), "\(result)")
    }

    @Test("an unknown flag exits 64 with one line naming it")
    func unknownFlag() async throws {
        let result = try await CommandLineTool.run(["publish", "--destination", "d", "--bogus", "x"])
        #expect(result.status == 64, "\(result)")
        #expect(result.errorLines == ["messagebus: error: Unknown option '--bogus'"], "\(result)")
    }

    @Test("a malformed option value is named", arguments: [
        (["publish", "--destination", "d", "--header", "novalue", "x"], "novalue"),
        (["publish", "--destination", "d", "--count", "0", "x"], "--count '0'"),
        (["publish", "--destination", "d", "--rate=-5", "x"], "--rate '-5.0'"),
        (["consume", "--destination", "d", "--format", "yaml"], "yaml"),
        (["consume"], "--destination"),
    ])
    func badValue(arguments: [String], named: String) async throws {
        let result = try await CommandLineTool.run(arguments)
        #expect(result.status != 0, "\(result)")
        #expect(result.errorLines.count == 1, "\(result)")
        #expect(result.errors.hasPrefix("messagebus: error: "), "\(result)")
        #expect(result.errors.contains(named), "\(result)")
    }

    @Test("a bad URL exits non-zero with one line naming it, and never prints the password", arguments: [
        ("not-a-url", "not-a-url"),
        ("bogus://host", "bogus://"),
        ("amqp://guest:s3cret@[::1/vhost", "[::1"),
        ("kafka://127.0.0.1:99999", "99999"),
    ])
    func badURL(url: String, named: String) async throws {
        let result = try await CommandLineTool.run(["check", "--url", url])
        #expect(result.status != 0, "\(result)")
        #expect(result.errorLines.count == 1, "\(result)")
        #expect(result.errors.hasPrefix("messagebus: error: "), "\(result)")
        #expect(result.errors.contains(named), "\(result)")
        #expect(!result.errors.contains("s3cret") && !result.text.contains("s3cret"), "\(result)")
    }

    @Test("a --file that cannot be read is named")
    func missingFile() async throws {
        let result = try await CommandLineTool.run(["publish", "--destination", "d", "--file", "/nonexistent/blob.bin"])
        #expect(result.status != 0, "\(result)")
        #expect(result.errorLines == ["messagebus: error: cannot read --file '/nonexistent/blob.bin': no such file, or not readable"], "\(result)")
    }
}
