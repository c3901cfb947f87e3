import MessageBus
import MessageBusIntegrationSupport
@testable import MessageBusKafka
import Testing

/// Seeded random `kafka://` URLs with random options and values: a configuration or a typed error
/// (`invalidURL` / `invalidConfiguration`) whose message never contains the password (which appears only where a
/// credential goes: the URL's user information and `sasl.password`).
@Suite("Kafka configuration: seeded random URL options")
struct KafkaConfigurationFuzzTests {
    static let password = "Pw-s3cr3t"

    @Test("random options give a configuration or a typed error without the password")
    func randomOptions() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        let keys = Array(KafkaConfiguration.urlOptions) + [
            "compression.codec", "linger.ms", "no.such.property", "", "acks", "%41",
        ]
        let values = ["", "1", "-1", "0", "true", "no", "banana", "99999999999999999999", "scoped", "verbatim",
                      "PLAIN", "scram-sha-256", "lz4"]
        var accepted = 0
        for index in 0..<3_000 {
            await yieldEvery100(index)
            var items = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                "\(random.pick(keys))=\(random.pick(values))"
            }
            if random.next() % 4 == 0 { items.insert("sasl.password=\(Self.password)", at: 0) }
            let user = random.pick(["", "user:\(Self.password)@"])
            let input = "\(random.pick(["kafka", "kafka", "amqp"]))://\(user)\(random.pick(["h:9092", "a,b:1", ""]))"
                + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
            let context = Comment(rawValue: "seed \(seed), case \(index): \(MessageBusURL.redact(input))")
            do {
                let configuration = try KafkaConfiguration(url: MessageBusURL(input))
                try configuration.validate()
                accepted += 1
            } catch let error as MessageBusError {
                #expect([.invalidURL, .invalidConfiguration].contains(error.code), context)
                #expect(!"\(error)".contains(Self.password), context)
            }
        }
        #expect(accepted > 100, "accepted only \(accepted) configurations")
    }
}
