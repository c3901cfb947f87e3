import MessageBus
import Testing

@Suite("Broker URLs")
struct MessageBusURLTests {
    @Test func parsesAClusterOfHosts() throws {
        let url = try MessageBusURL("kafka://a.example:9092,b.example:9093,[::1]:9094?acks=all&linger.ms=5")
        #expect(url.scheme == "kafka")
        #expect(url.hosts.map(\.name) == ["a.example", "b.example", "::1"])
        #expect(url.hosts.map(\.port) == [9092, 9093, 9094])
        #expect(url.queryValue("acks") == "all")
        #expect(url.queryValue("linger.ms") == "5")
        #expect(url.description == "kafka://a.example:9092,b.example:9093,[::1]:9094?acks=all&linger.ms=5")
    }

    @Test func decodesCredentialsAndVirtualHostButNeverPrintsThePassword() throws {
        let url = try MessageBusURL("AMQP://app%40corp:s3cr%3At@rabbit:5672/%2F?heartbeat=10")
        #expect(url.scheme == "amqp")
        #expect(url.user == "app@corp")
        #expect(url.password == "s3cr:t")
        #expect(url.path == "/")
        #expect(url.hasPath)
        #expect(!url.description.contains("s3cr"))
        #expect(url.description == "amqp://app%40corp:***@rabbit:5672/%2F?heartbeat=10")
    }

    @Test(arguments: [
        ("no-scheme-here", "not a URL"),
        ("kafka://host:99999", "invalid port '99999'"),
        ("kafka://host:abc", "invalid port 'abc'"),
        ("kafka://a,,b", "empty host"),
        ("amqp://user:pw@host/%zz", "bad percent-escape in the path"),
        ("9kafka://host", "invalid scheme"),
    ])
    func rejectsMalformedURLsNamingTheProblem(input: String, expected: String) {
        #expect {
            try MessageBusURL(input)
        } throws: { error in
            guard let error = error as? MessageBusError else { return false }
            return error.code == .invalidURL && error.message.contains(expected)
        }
    }

    @Test func errorsAboutUnparsableURLsRedactCredentials() {
        #expect {
            try MessageBusURL("amqp://user:topsecret@host:70000/")
        } throws: { error in
            let text = "\(error)"
            return !text.contains("topsecret") && text.contains("***@host:70000")
        }
    }

    @Test func unknownQueryKeysAreNamed() throws {
        let url = try MessageBusURL("memory://x?retention=5&bogus=1")
        #expect {
            try url.rejectUnknownQueryKeys(known: ["retention"])
        } throws: { error in
            (error as? MessageBusError)?.message.contains("unknown option 'bogus'") ?? false
        }
    }

    @Test func secretQueryValuesAreNeverShown() throws {
        let url = try MessageBusURL("kafka://h:9092?sasl.password=hunter2&ssl.key.pem=PEMDATA&acks=all")
        #expect(url.description == "kafka://h:9092?sasl.password=***&ssl.key.pem=***&acks=all")
        #expect(url.queryValue("sasl.password") == "hunter2")
    }
}
