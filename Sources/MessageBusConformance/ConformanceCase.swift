/// One conformance case: a name and a body that throws ``ConformanceFailure`` when an assertion fails.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    /// The case's name, stable across runs.
    public let name: String
    let body: @Sendable (ConformanceContext) async throws -> Void

    init(_ name: String, body: @escaping @Sendable (ConformanceContext) async throws -> Void) {
        self.name = name
        self.body = body
    }

    /// The case's name.
    public var description: String { self.name }
}
