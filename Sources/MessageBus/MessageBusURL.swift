import Foundation

/// A parsed broker URL: `scheme://[user[:password]@]host[:port][,host[:port]...][/path][?key=value&...]`.
///
/// Several comma-separated hosts name a cluster (`kafka://a:9092,b:9092`). User, password, path and query values
/// are percent-decoded. ``description`` replaces the password with `***`, so a URL can be logged or put in an
/// error message safely.
public struct MessageBusURL: Sendable, Hashable, CustomStringConvertible {
    /// A host and its optional port.
    public struct Host: Sendable, Hashable, CustomStringConvertible {
        /// The host name or address (IPv6 without brackets).
        public var name: String
        /// The port, when the URL gives one.
        public var port: Int?

        /// `name[:port]`, with IPv6 addresses in brackets.
        public var description: String {
            let shown = self.name.contains(":") ? "[\(self.name)]" : self.name
            return self.port.map { "\(shown):\($0)" } ?? shown
        }
    }

    /// One `key=value` pair of the query.
    public struct QueryItem: Sendable, Hashable {
        /// The key.
        public var name: String
        /// The value (empty when the URL gives none).
        public var value: String
    }

    /// The scheme, lowercased (`memory`, `kafka`, `amqp`, `amqps`).
    public let scheme: String
    /// The user name, if any.
    public let user: String?
    /// The password, if any. Never part of ``description``.
    public let password: String?
    /// The hosts, in the order given.
    public let hosts: [Host]
    /// The path without its leading slash, percent-decoded (the RabbitMQ virtual host); empty when absent.
    public let path: String
    /// Whether the URL has a path at all (`amqp://host/` names the empty vhost; `amqp://host` the default one).
    public let hasPath: Bool
    /// The query items, in order.
    public let queryItems: [QueryItem]

    /// Parses `string`.
    ///
    /// - Throws: ``MessageBusError/Code/invalidURL`` naming the problem (the password is never echoed).
    public init(_ string: String) throws {
        guard let schemeEnd = string.firstRange(of: "://") else {
            throw MessageBusError(.invalidURL, "'\(Self.redact(string))' is not a URL: expected scheme://host")
        }
        let scheme = String(string[..<schemeEnd.lowerBound]).lowercased()
        guard let first = scheme.first, first.isLetter,
            scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
        else {
            throw MessageBusError(.invalidURL, "'\(Self.redact(string))' has an invalid scheme '\(scheme)'")
        }
        var rest = string[schemeEnd.upperBound...]
        var queryString: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            queryString = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        var pathString: Substring = ""
        var hasPath = false
        if let slash = rest.firstIndex(of: "/") {
            pathString = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            hasPath = true
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.percentDecoded(userInfo[..<colon], part: "user name", url: string)
                password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], part: "password", url: string)
            } else {
                user = try Self.percentDecoded(userInfo, part: "user name", url: string)
            }
        }
        let hosts = try rest.isEmpty ? [] : rest.split(separator: ",", omittingEmptySubsequences: false).map {
            try Self.parseHost($0, url: string)
        }
        var items: [QueryItem] = []
        for pair in queryString.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.percentDecoded(parts[0], part: "query key", url: string)
            let value = try parts.count > 1 ? Self.percentDecoded(parts[1], part: "query value", url: string) : ""
            items.append(QueryItem(name: name, value: value))
        }
        self.scheme = scheme
        self.user = user
        self.password = password
        self.hosts = hosts
        self.path = try Self.percentDecoded(pathString, part: "path", url: string)
        self.hasPath = hasPath
        self.queryItems = items
    }

    /// The last value given for query key `name`.
    public func queryValue(_ name: String) -> String? {
        self.queryItems.last(where: { $0.name == name })?.value
    }

    /// Throws ``MessageBusError/Code/invalidConfiguration`` naming the first query key not in `known`.
    public func rejectUnknownQueryKeys(known: Set<String>) throws {
        if let unknown = self.queryItems.first(where: { !known.contains($0.name) }) {
            let list = known.sorted().joined(separator: ", ")
            throw MessageBusError(
                .invalidConfiguration,
                "unknown option '\(unknown.name)' in \(self); known options: \(list.isEmpty ? "none" : list)")
        }
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var text = "\(self.scheme)://"
        if let user = self.user {
            text += Self.percentEncoded(user)
            if self.password != nil { text += ":***" }
            text += "@"
        }
        text += self.hosts.map(\.description).joined(separator: ",")
        if self.hasPath { text += "/" + Self.percentEncoded(self.path) }
        if !self.queryItems.isEmpty {
            text += "?" + self.queryItems.map { item in
                let value = Self.isSecret(queryKey: item.name) ? "***" : Self.percentEncoded(item.value)
                return "\(Self.percentEncoded(item.name))=\(value)"
            }.joined(separator: "&")
        }
        return text
    }

    /// `text` with everything but RFC 3986 unreserved characters percent-encoded.
    private static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return encoded
    }

    /// Whether a query option carries a secret (a password, a token, key material), so that ``description``
    /// never shows its value: backends accept client-library properties such as `sasl.password` in the query.
    public static func isSecret(queryKey name: String) -> Bool {
        let lowered = name.lowercased()
        return ["password", "secret", "token", "credential", "oauthbearer.config", ".pem"].contains {
            lowered.contains($0)
        }
    }

    /// `string` with its credentials replaced by `***`, for error messages about text that could not be parsed:
    /// everything from the scheme's end to the last `@` before the query (also when the `://` is mistyped, as
    /// `kafka//u:p@h` or `amqp:///u:p@h`), and the value of every secret query option (``isSecret(queryKey:)``).
    public static func redact(_ string: String) -> String {
        let userStart: String.Index
        let queryStart: String.Index
        if let schemeEnd = string.firstRange(of: "://")?.upperBound {
            userStart = schemeEnd
            queryStart = string[userStart...].firstIndex(of: "?") ?? string.endIndex
        } else {
            // Not a URL at all: everything up to the last `@` may be user information.
            let lastAt = string.lastIndex(of: "@")
            userStart = min(Self.endOfSchemePrefix(string), lastAt ?? string.endIndex)
            queryStart = string[(lastAt ?? userStart)...].firstIndex(of: "?") ?? string.endIndex
        }
        var redacted = String(string[..<userStart])
        if let at = string[userStart..<queryStart].lastIndex(of: "@") {
            redacted += "***" + String(string[at..<queryStart])
        } else {
            redacted += String(string[userStart..<queryStart])
        }
        guard queryStart < string.endIndex else { return redacted }
        // Items end at `&`, and at a further `?` too: text that is not a well-formed query is masked generously.
        var query = ""
        var item = ""
        func flush() {
            if let equals = item.firstIndex(of: "=") {
                let key = String(item[..<equals])
                query += Self.isSecret(queryKey: key.removingPercentEncoding ?? key) ? key + "=***" : item
            } else {
                query += item
            }
            item = ""
        }
        for character in string[string.index(after: queryStart)...] {
            if character == "&" || character == "?" {
                flush()
                query.append(character)
            } else {
                item.append(character)
            }
        }
        flush()
        return redacted + "?" + query
    }

    /// Where a mistyped scheme prefix ends: after leading scheme characters and the `:` and `/` that follow them.
    private static func endOfSchemePrefix(_ text: String) -> String.Index {
        var index = text.startIndex
        while index < text.endIndex, text[index].isLetter || text[index].isNumber || "+-.".contains(text[index]) {
            index = text.index(after: index)
        }
        while index < text.endIndex, text[index] == ":" || text[index] == "/" { index = text.index(after: index) }
        return index
    }

    private static func parseHost(_ text: Substring, url: String) throws -> Host {
        var name: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw MessageBusError(.invalidURL, "unclosed '[' in host '\(text)' of '\(redact(url))'")
            }
            name = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw MessageBusError(.invalidURL, "unexpected '\(after)' after host '\(text)' in '\(redact(url))'")
            }
        } else if let colon = text.lastIndex(of: ":") {
            name = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            name = text
        }
        guard !name.isEmpty else {
            throw MessageBusError(.invalidURL, "empty host in '\(redact(url))'")
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else {
                throw MessageBusError(.invalidURL, "invalid port '\(portText)' in '\(redact(url))': expected 1 to 65535")
            }
            port = value
        }
        return Host(name: try percentDecoded(name, part: "host", url: url), port: port)
    }

    private static func percentDecoded(_ text: Substring, part: String, url: String) throws -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw MessageBusError(.invalidURL, "bad percent-escape in the \(part) of '\(redact(url))'")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw MessageBusError(.invalidURL, "the \(part) of '\(redact(url))' is not UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
