import CMessageBusRdKafka
import Logging
import MessageBusKafka
import Testing

@Suite("librdkafka version")
struct RDKafkaVersionTests {
    @Test("decodes librdkafka's 0xMMmmrrpp encoding", arguments: [
        (UInt32(0x0208_00ff), "2.8.0", RDKafkaVersion(major: 2, minor: 8, revision: 0)),
        (UInt32(0x0200_02ff), "2.0.2", RDKafkaVersion(major: 2, minor: 0, revision: 2)),
        (UInt32(0x0202_0001), "2.2.0-RC1", RDKafkaVersion(major: 2, minor: 2, revision: 0, preRelease: 1)),
        (UInt32(0x0008_01ff), "0.8.1", RDKafkaVersion(major: 0, minor: 8, revision: 1)),
    ])
    func decodes(encoded: UInt32, text: String, expected: RDKafkaVersion) {
        let version = RDKafkaVersion(encoded: encoded)
        #expect(version == expected)
        #expect(version.description == text)
        #expect(version.encoded == encoded)
    }

    @Test("orders by number, a pre-release before its final release")
    func ordering() {
        let minimum = RDKafkaVersion.minimumSupported
        #expect(minimum == RDKafkaVersion(encoded: 0x0202_00ff))
        #expect(RDKafkaVersion(encoded: 0x0200_02ff) < minimum)  // Debian 12's 2.0.2
        #expect(RDKafkaVersion(encoded: 0x0201_09ff) < minimum)  // 2.1.9: minor decides before revision
        #expect(RDKafkaVersion(encoded: 0x0202_0001) < minimum)  // 2.2.0-RC1
        #expect(RDKafkaVersion(encoded: 0x0202_0001) < RDKafkaVersion(encoded: 0x0202_0002))
        #expect(RDKafkaVersion(encoded: 0x0202_01ff) > minimum)
        #expect(RDKafkaVersion(encoded: 0x0300_00ff) > RDKafkaVersion(encoded: 0x02ff_ffff))
        #expect(!RDKafkaVersion(encoded: 0x0200_02ff).isSupported)
        #expect(RDKafkaVersion(encoded: 0x0208_00ff).isSupported)
    }

    @Test("the librdkafka loaded at run time is 2.2.0 or newer")
    func linkedVersionIsSupported() {
        let linked = RDKafkaVersion.linked
        #expect(
            linked >= RDKafkaVersion.minimumSupported,
            """
            this process loaded librdkafka \(RDKafkaVersion.linkedVersionString); 2.2.0 or newer is needed \
            (older ones fail the handshake with KRaft brokers). Run scripts/bootstrap.sh, and check that \
            `ldconfig -p | grep librdkafka.so.1` lists /usr/local/lib first.
            """
        )
        // The raw C value, compared as librdkafka documents it (0xMMmmrrpp, pp = 0xff for a release).
        #expect(UInt32(bitPattern: rd_kafka_version()) >= 0x0202_00ff || linked.preRelease != nil)
        #expect(RDKafkaVersion.linkedVersionString.hasPrefix("\(linked.major).\(linked.minor).\(linked.revision)"))
    }

    @Test("an old librdkafka gets a warning that explains the handshake bug and the fix")
    func warnsWhenOld() throws {
        let (logger, store) = RecordingLogHandler.logger()
        let supported = RDKafkaVersion.warnIfUnsupported(RDKafkaVersion(encoded: 0x0200_02ff), logger: logger)
        #expect(!supported)
        let entries = store.all
        try #require(entries.count == 1)
        #expect(entries[0].level == .warning)
        #expect(entries[0].message.contains("2.0.2"))
        #expect(entries[0].message.contains("KIP-482"))
        #expect(entries[0].message.contains("Read underflow"))
        #expect(entries[0].message.contains("2.2.0 or newer"))
        #expect(entries[0].metadata["librdkafka.version"] == "2.0.2")
    }

    @Test("a supported librdkafka logs nothing")
    func silentWhenSupported() {
        let (logger, store) = RecordingLogHandler.logger()
        #expect(RDKafkaVersion.warnIfUnsupported(RDKafkaVersion(major: 2, minor: 8, revision: 0), logger: logger))
        #expect(store.all.isEmpty)
    }
}
