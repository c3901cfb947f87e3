import MessageBusIntegrationSupport
import Foundation

/// A certificate authority, a broker certificate for `localhost` / 127.0.0.1 and a client certificate, made with
/// openssl for one test run, plus a second, unrelated authority (the "wrong CA"). Test keys only: the files are
/// world-readable so that the node, which runs as the rabbitmq user, can read them.
struct TestCertificates: Sendable {
    let folder: URL

    var caPath: String { self.path("ca.pem") }
    var wrongCAPath: String { self.path("wrong-ca.pem") }
    var serverCertificatePath: String { self.path("server.pem") }
    var serverKeyPath: String { self.path("server.key") }
    var clientCertificatePath: String { self.path("client.pem") }
    var clientKeyPath: String { self.path("client.key") }

    func path(_ name: String) -> String { self.folder.appendingPathComponent(name).path }

    /// Generates everything into `folder` (replacing what was there). Blocks: call from `onDedicatedThread`.
    static func generate(in folder: URL) throws -> TestCertificates {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificates = TestCertificates(folder: folder)
        try Data("subjectAltName=DNS:localhost,IP:127.0.0.1\n".utf8).write(to: folder.appendingPathComponent("server.ext"))
        for authority in ["ca", "wrong-ca"] {
            try self.openssl(in: folder, [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", "\(authority).key",
                "-out", "\(authority).pem", "-subj", "/CN=MessageBus test \(authority)",
            ])
        }
        for (name, subject, extensions) in [
            ("server", "/CN=localhost", ["-extfile", "server.ext"]), ("client", "/CN=messagebus-client", []),
        ] {
            try self.openssl(in: folder, [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject,
            ])
            try self.openssl(in: folder, [
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "1", "-out", "\(name).pem",
            ] + extensions)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: certificates.path(file))
        }
        return certificates
    }

    private static func openssl(in folder: URL, _ arguments: [String]) throws {
        // openssl writes relative paths against the working directory: run it through `sh -c 'cd ...'`.
        let command = "cd '\(folder.path)' && exec openssl \"$@\""
        let outcome = try ChildProcess.run("/bin/sh", ["-c", command, "openssl"] + arguments, timeout: .seconds(30))
        guard outcome.status == 0 else {
            throw BrokerControl.Failure(description: "openssl \(arguments.joined(separator: " ")) failed: \(outcome.output)")
        }
    }
}
