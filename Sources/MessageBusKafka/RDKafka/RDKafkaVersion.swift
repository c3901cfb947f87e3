internal import CMessageBusRdKafka
public import Logging

/// A librdkafka version, such as the one this process loaded at run time.
///
/// librdkafka encodes its version as the integer `0xMMmmrrpp`: major, minor and revision, then a
/// pre-release number where `0xff` marks a final release (`0x020800ff` is 2.8.0). ``linked`` reads the
/// library actually loaded, which can differ from the headers the package was compiled against: several
/// librdkafka builds share the soname `librdkafka.so.1`.
///
/// librdkafka releases before ``minimumSupported`` (2.2.0) read KIP-482 tagged fields one byte short, so
/// they fail the ApiVersions handshake forever ("Local: Read underflow") with brokers that send tagged
/// fields, such as Apache Kafka in KRaft mode and Tansu. ``warnIfUnsupported(_:logger:)`` logs that.
public struct RDKafkaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major version number.
    public var major: Int
    /// The minor version number.
    public var minor: Int
    /// The revision (patch) number.
    public var revision: Int
    /// The pre-release number (release candidate), or `nil` for a final release.
    public var preRelease: Int?

    /// The oldest librdkafka MessageBusKafka supports: 2.2.0, the first release that reads KIP-482
    /// tagged fields correctly.
    public static let minimumSupported = RDKafkaVersion(major: 2, minor: 2, revision: 0)

    /// Creates a version from its parts.
    ///
    /// - Parameters:
    ///   - major: The major version number.
    ///   - minor: The minor version number.
    ///   - revision: The revision (patch) number.
    ///   - preRelease: The pre-release number, or `nil` (the default) for a final release.
    public init(major: Int, minor: Int, revision: Int, preRelease: Int? = nil) {
        self.major = major
        self.minor = minor
        self.revision = revision
        self.preRelease = preRelease
    }

    /// Creates a version from librdkafka's integer encoding `0xMMmmrrpp` (as `rd_kafka_version()`
    /// returns it), where a pre-release byte of `0xff` means a final release.
    ///
    /// - Parameter encoded: The encoded version, for example `0x020800ff` for 2.8.0.
    public init(encoded: UInt32) {
        let preRelease = Int(encoded & 0xff)
        self.init(
            major: Int((encoded >> 24) & 0xff),
            minor: Int((encoded >> 16) & 0xff),
            revision: Int((encoded >> 8) & 0xff),
            preRelease: preRelease == 0xff ? nil : preRelease
        )
    }

    /// The version in librdkafka's integer encoding `0xMMmmrrpp` (`0xff` as `pp` for a final release).
    public var encoded: UInt32 {
        UInt32(truncatingIfNeeded: major & 0xff) << 24
            | UInt32(truncatingIfNeeded: minor & 0xff) << 16
            | UInt32(truncatingIfNeeded: revision & 0xff) << 8
            | UInt32(truncatingIfNeeded: (preRelease ?? 0xff) & 0xff)
    }

    /// The version of the librdkafka library loaded by this process (`rd_kafka_version()`).
    public static var linked: RDKafkaVersion {
        RDKafkaVersion(encoded: UInt32(bitPattern: rd_kafka_version()))
    }

    /// The loaded librdkafka's own version string (`rd_kafka_version_str()`), for example `"2.8.0"`.
    public static var linkedVersionString: String {
        String(cString: rd_kafka_version_str())
    }

    /// Whether this version is ``minimumSupported`` or newer.
    public var isSupported: Bool {
        self >= Self.minimumSupported
    }

    /// The version as `major.minor.revision`, followed by `-RC` and the pre-release number for a
    /// pre-release.
    public var description: String {
        let base = "\(major).\(minor).\(revision)"
        guard let preRelease else { return base }
        return "\(base)-RC\(preRelease)"
    }

    /// Orders versions by major, minor and revision number; a pre-release comes before the final release
    /// of the same number, and lower pre-release numbers come first.
    public static func < (lhs: RDKafkaVersion, rhs: RDKafkaVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.revision) != (rhs.major, rhs.minor, rhs.revision) {
            return (lhs.major, lhs.minor, lhs.revision) < (rhs.major, rhs.minor, rhs.revision)
        }
        switch (lhs.preRelease, rhs.preRelease) {
        case (let left?, let right?): return left < right
        case (.some, nil): return true
        case (nil, _): return false
        }
    }

    /// Logs a warning when `version` is older than ``minimumSupported``, explaining the KIP-482 handshake
    /// bug and what to install instead.
    ///
    /// Call it once when a Kafka client is created; it logs nothing for a supported version.
    ///
    /// - Parameters:
    ///   - version: The version to check; defaults to the librdkafka loaded by this process (``linked``).
    ///   - logger: Where the warning goes.
    /// - Returns: `true` when `version` is supported, `false` when a warning was logged.
    @discardableResult
    public static func warnIfUnsupported(_ version: RDKafkaVersion = .linked, logger: Logger) -> Bool {
        if version.isSupported { return true }
        logger.warning(
            """
            librdkafka \(version) is older than \(minimumSupported): it reads KIP-482 tagged fields one byte \
            short, so brokers that send tagged fields in their ApiVersions response (Apache Kafka in KRaft \
            mode, Tansu) fail its handshake forever with "ApiVersionRequest failed: Local: Read underflow". \
            Install librdkafka \(minimumSupported) or newer (Debian 13, Ubuntu 24.04 and Homebrew ship one; on \
            Debian 12 build Debian 13's source package into /usr/local, as this project's scripts/bootstrap.sh \
            does) and make sure the dynamic linker loads it: every build shares the soname librdkafka.so.1.
            """,
            metadata: [
                "librdkafka.version": "\(version)",
                "librdkafka.minimum_supported": "\(minimumSupported)",
            ]
        )
        return false
    }
}
