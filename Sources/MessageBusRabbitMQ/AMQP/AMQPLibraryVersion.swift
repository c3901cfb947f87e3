internal import CMessageBusRabbitMQ

/// A rabbitmq-c (librabbitmq) version, such as the one this process loaded at run time.
///
/// rabbitmq-c encodes its version as the integer `0xMMmmpprr`: major, minor and patch, then `1` for a
/// released version or `0` for a development build (whose version string ends in `-pre`).
/// rabbitmq-c 0.12 and later install their headers under `<rabbitmq-c/...>` and add
/// `amqp_publisher_confirm_wait`; 0.11 (Debian 12) has the flat `<amqp.h>` headers.
public struct AMQPLibraryVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major version number.
    public var major: Int
    /// The minor version number.
    public var minor: Int
    /// The patch number.
    public var patch: Int
    /// Whether this is a released version (`false` for a development build).
    public var isRelease: Bool

    /// Creates a version from its parts.
    ///
    /// - Parameters:
    ///   - major: The major version number.
    ///   - minor: The minor version number.
    ///   - patch: The patch number.
    ///   - isRelease: Whether this is a released version; `true` by default.
    public init(major: Int, minor: Int, patch: Int, isRelease: Bool = true) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.isRelease = isRelease
    }

    /// Creates a version from rabbitmq-c's integer encoding `0xMMmmpprr` (as `amqp_version_number()`
    /// returns it), where a non-zero `rr` marks a released version.
    ///
    /// - Parameter encoded: The encoded version, for example `0x000B0001` for 0.11.0.
    public init(encoded: UInt32) {
        self.init(
            major: Int((encoded >> 24) & 0xff),
            minor: Int((encoded >> 16) & 0xff),
            patch: Int((encoded >> 8) & 0xff),
            isRelease: encoded & 0xff != 0
        )
    }

    /// The version of the rabbitmq-c library loaded by this process (`amqp_version_number()`).
    public static var linked: AMQPLibraryVersion {
        AMQPLibraryVersion(encoded: amqp_version_number())
    }

    /// The loaded rabbitmq-c's own version string (`amqp_version()`), for example `"0.11.0"`.
    public static var linkedVersionString: String {
        String(cString: amqp_version())
    }

    /// The version as `major.minor.patch`, followed by `-pre` for a development build (as rabbitmq-c
    /// writes it).
    public var description: String {
        "\(major).\(minor).\(patch)\(isRelease ? "" : "-pre")"
    }

    /// Orders versions by major, minor and patch number; a development build comes before the release of
    /// the same number.
    public static func < (lhs: AMQPLibraryVersion, rhs: AMQPLibraryVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        return !lhs.isRelease && rhs.isRelease
    }
}
