public import Foundation

/// Turns values into payloads for ``Message/init(encoding:key:headers:id:encoder:)``.
public protocol MessagePayloadEncoder: Sendable {
    /// The content type set on the messages it makes, for example `application/json`.
    var contentType: String { get }
    /// Encodes `value`.
    func encode<Value: Encodable>(_ value: Value) throws -> [UInt8]
}

/// Turns payloads back into values for ``Message/decode(_:using:)``.
public protocol MessagePayloadDecoder: Sendable {
    /// The content type it reads; messages with another content type are refused before decoding.
    var contentType: String { get }
    /// Decodes a `type` from `payload`.
    func decode<Value: Decodable>(_ type: Value.Type, from payload: [UInt8]) throws -> Value
}

/// JSON payloads with Foundation's coders; the default for the `Codable` helpers.
public struct JSONPayloadCoder: MessagePayloadEncoder, MessagePayloadDecoder {
    /// `application/json`.
    public let contentType = "application/json"
    private let makeEncoder: @Sendable () -> JSONEncoder
    private let makeDecoder: @Sendable () -> JSONDecoder

    /// Creates a coder whose JSON encoders and decoders `makeEncoder` and `makeDecoder` configure (date
    /// strategies, key strategies).
    public init(
        makeEncoder: @escaping @Sendable () -> JSONEncoder = { JSONEncoder() },
        makeDecoder: @escaping @Sendable () -> JSONDecoder = { JSONDecoder() }
    ) {
        self.makeEncoder = makeEncoder
        self.makeDecoder = makeDecoder
    }

    /// Encodes `value` as JSON.
    public func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        Array(try self.makeEncoder().encode(value))
    }

    /// Decodes a `type` from JSON.
    public func decode<Value: Decodable>(_ type: Value.Type, from payload: [UInt8]) throws -> Value {
        try self.makeDecoder().decode(type, from: Data(payload))
    }
}

extension Message {
    /// Creates a message whose payload is `value` encoded by `encoder`, with the encoder's content type.
    ///
    /// - Throws: ``MessageBusError/Code/encodingFailed`` naming the type.
    public init<Value: Encodable>(
        encoding value: Value,
        key: String? = nil,
        headers: MessageHeaders = [:],
        id: String? = nil,
        encoder: some MessagePayloadEncoder = JSONPayloadCoder()
    ) throws {
        let payload: [UInt8]
        do {
            payload = try encoder.encode(value)
        } catch {
            throw MessageBusError(.encodingFailed, "could not encode a \(Value.self): \(error)", underlying: error)
        }
        self.init(payload: payload, key: key, headers: headers, id: id, contentType: encoder.contentType)
    }

    /// Decodes the payload as a `type`.
    ///
    /// - Throws: ``MessageBusError/Code/decodingFailed`` naming the message id, the type and the reason, also when
    ///   the message's content type is not the decoder's.
    public func decode<Value: Decodable>(
        _ type: Value.Type,
        using decoder: some MessagePayloadDecoder = JSONPayloadCoder()
    ) throws -> Value {
        if let contentType = self.contentType, Self.mediaType(contentType) != Self.mediaType(decoder.contentType) {
            throw MessageBusError(
                .decodingFailed,
                "message \(self.id) has content type '\(contentType)', not '\(decoder.contentType)': "
                    + "cannot decode a \(Value.self)")
        }
        do {
            return try decoder.decode(type, from: self.payload)
        } catch {
            throw MessageBusError(
                .decodingFailed, "message \(self.id) is not a valid \(Value.self): \(error)", underlying: error)
        }
    }

    private static func mediaType(_ contentType: String) -> Substring {
        let end = contentType.firstIndex(of: ";") ?? contentType.endIndex
        return contentType[..<end].trimmingCharacters(in: .whitespaces).lowercased()[...]
    }
}

extension Delivery {
    /// Decodes the message payload; see ``Message/decode(_:using:)``.
    public func decode<Value: Decodable>(
        _ type: Value.Type,
        using decoder: some MessagePayloadDecoder = JSONPayloadCoder()
    ) throws -> Value {
        try self.message.decode(type, using: decoder)
    }
}
