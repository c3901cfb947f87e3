import MessageBus
import MessageBusIntegrationSupport
import MessageBusRabbitMQ
import Testing

/// Seeded random `amqp://` URLs with random options and values: a valid configuration or a typed error
/// (`invalidURL` / `invalidConfiguration`) whose message never contains the password (which appears only where a
/// credential goes: the URL's user information).
@Suite("RabbitMQ configuration: seeded random URL options")
struct RabbitMQConfigurationFuzzTests {
    static let password = "Pw-s3cr3t"

    @Test("random options give a configuration or a typed error without the password")
    func randomOptions() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        let keys = Array(RabbitMQConfiguration.urlOptions) + ["password", "unknown", ""]
        let values = ["", "0", "1", "-5", "65536", "4294967296", "true", "false", "maybe", "quorum", "classic", "stream",
                      "verify_peer", "verify_none", "/etc/none.pem", "99999999999999999999"]
        var accepted = 0
        for index in 0..<3_000 {
            await yieldEvery100(index)
            let items = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                "\(random.pick(keys))=\(random.pick(values))"
            }
            let input = "\(random.pick(["amqp", "amqps", "kafka"]))://"
                + random.pick(["", "guest:\(Self.password)@", "u:\(Self.password)@"])
                + random.pick(["127.0.0.1", "h:5672", "a,b:1", "h:0", "h:70000", ""])
                + random.pick(["", "/", "/%2F", "/v"])
                + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
            let context = Comment(rawValue: "seed \(seed), case \(index): \(MessageBusURL.redact(input))")
            do {
                let configuration = try RabbitMQConfiguration(url: MessageBusURL(input))
                try configuration.validate()
                accepted += 1
                #expect(!"\(configuration)".contains(Self.password), context)
            } catch let error as MessageBusError {
                #expect([.invalidURL, .invalidConfiguration].contains(error.code), context)
                #expect(!"\(error)".contains(Self.password), context)
            }
        }
        #expect(accepted > 100, "accepted only \(accepted) configurations")
    }
}
