import MessageBus
import MessageBusIntegrationSupport
import Testing

/// Seeded random URLs, some built from valid parts and some from arbitrary characters: parsing never crashes, an
/// invalid URL is a typed `invalidURL` error whose message never shows the password (also when the `://` is
/// mistyped), and a parsed URL's description hides its password and secret query values. MESSAGEBUS_FUZZ_SEED
/// replays a failure's seed.
@Suite("MessageBusURL: seeded random input")
struct MessageBusURLFuzzTests {
    static let password = "Pw-s3cr3t"
    static let cases = 4_000

    @Test("random URLs parse or throw invalidURL, and never show the password")
    func randomURLs() async throws {
        let seed = fuzzSeed()
        var random = SeededRandom(seed: seed)
        var accepted = 0
        for index in 0..<Self.cases {
            await yieldEvery100(index)
            let input = Self.randomURL(&random)
            let context = Comment(rawValue: "seed \(seed), case \(index): \(MessageBusURL.redact(input))")
            do {
                let url = try MessageBusURL(input)
                accepted += 1
                // A parsed URL hides its password and secret query values; text the grammar reads as a path
                // (`kafka:///user:password@host` has no host) is not a credential and is shown.
                if let password = url.password, password.count >= 6 {
                    #expect(!"\(url)".contains(password), context)
                    #expect(!String(reflecting: url).contains(password), context)
                }
                let query = "\(url)".split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
                for item in url.queryItems where MessageBusURL.isSecret(queryKey: item.name) && item.value.count >= 6 {
                    #expect(!query.contains(item.value), context)
                }
            } catch let error as MessageBusError {
                #expect(error.code == .invalidURL, context)
                #expect(!error.message.isEmpty, context)
                #expect(!"\(error)".contains(Self.password), context)
            }
        }
        // Both outcomes were exercised: the generator is not producing only garbage or only valid URLs.
        #expect(accepted > Self.cases / 10 && accepted < Self.cases * 9 / 10, "accepted \(accepted) of \(Self.cases)")
    }

    @Test("errors about mistyped URLs hide the password and secret query values", arguments: [
        "kafka//guest:\(password)@h:9092", "amqp:///guest:\(password)@h", "amqps:\(password)@[::1]",
        "a]-? ?:/user:\(password)@127.0.0.1", "kafka://h:port?sasl.password=\(password)",
        "kafka://h:-1?x=1?sasl.password=\(password)",
    ])
    func mistypedURLErrors(input: String) {
        #expect(!MessageBusURL.redact(input).contains(Self.password), "\(MessageBusURL.redact(input))")
    }

    /// A URL from plausible parts (scheme, user, the password, hosts, path, query), each part sometimes replaced
    /// by random characters, percent signs or separators.
    static func randomURL(_ random: inout SeededRandom) -> String {
        let noise = Array("abcXYZ019%:@/?&=,[]._-+ \u{7f}é%zz%4")
        func part(_ plausible: [String]) -> String {
            random.next() % 5 == 0 ? random.string(from: noise, maxLength: 12) : random.pick(plausible)
        }
        let scheme = part(["amqp", "amqps", "kafka", "kafka-mock", "memory", "AMQP", "1bad", ""])
        let separator = random.next() % 12 == 0 ? random.pick([":/", "//", ":///", ""]) : "://"
        let user = part(["", "guest:\(Self.password)@", "user:\(Self.password)@", "only-user@", ":\(Self.password)@"])
        let hosts = part(["127.0.0.1:5672", "host", "a:1,b:2", "[::1]:9092", "h:99999", "h:-1", "h:port", ",", ""])
        let path = part(["", "/", "/%2F", "/vhost", "/%zz", "/a/b"])
        let query = part(["", "?heartbeat=5", "?a=b&c", "?sasl.password=\(Self.password)", "?%=1", "?&&"])
        return scheme + separator + user + hosts + path + query
    }
}
